// Source: https://github.com/tokio-rs/tokio/issues/6877 (tokio-rs/tokio#6877, "`tokio::io::simplex` read/write data not equality")
// What happened: a test ran `receiver.read_exact(..)` against `sender.write_all(PATTERN)` inside
// `select!` in a loop. Whichever branch lost was dropped partway. write_all had pushed part of the
// pattern, and read_exact had consumed part of a frame. The data read back no longer matched
// PATTERN (assertion `left == right` failed). Both futures are documented as not cancel-safe.
use tokio::io::{simplex, AsyncReadExt, AsyncWriteExt};

const PATTERN: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xA];

pub async fn read_write() {
    let (mut receiver, mut sender) = simplex(197);
    let mut buffer = vec![0; PATTERN.len()];
    for _ in 0..1024 * 2 {
        tokio::select! {
            n = receiver.read_exact(buffer.as_mut_slice()) => {   // not cancel-safe
                n.unwrap();
                assert_eq!(buffer.as_slice(), PATTERN);
            }
            result = sender.write_all(PATTERN) => {              // not cancel-safe
                result.unwrap()
            }
        }
    }
}
