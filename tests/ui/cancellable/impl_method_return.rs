// Under an `impl`-level `#[cancellable]`, a method whose return type cannot carry the error
// is an error that also says how to leave that one method alone.
use cancelkit::{CancellationError, cancellable};

struct Queue(Vec<u32>);

#[cancellable]
impl Queue {
    fn drain(&mut self) -> Result<usize, CancellationError> {
        let mut n = 0;
        while self.0.pop().is_some() {
            n += 1;
        }
        Ok(n)
    }

    fn len(&self) -> usize {
        let mut n = 0;
        for _ in &self.0 {
            n += 1;
        }
        n
    }
}

fn main() {
    let mut q = Queue(vec![1]);
    let _ = q.drain();
    let _ = q.len();
}
