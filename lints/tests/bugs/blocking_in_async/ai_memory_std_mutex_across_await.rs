// Source: https://github.com/alphaonedev/ai-memory-mcp/issues/3256 (alphaonedev/ai-memory-mcp#3256, "consult_pre_event_gate holds std Mutex<ExecutorRegistry> across .await (CONCURRENCY-20)")
// What happened: the gate closures in `consult_pre_event_gate` held a `std::sync::Mutex<ExecutorRegistry>`
// guard across `chain.fire(..).await`. Concurrent HTTP handlers on the multi-thread runtime then
// serialized on the OS-level lock while one evaluation was in flight, for up to 60s + 5s.
// Fixed (#3258) by switching to tokio::sync::Mutex and adding #[deny(clippy::await_holding_lock)].
use std::sync::{Arc, Mutex};

pub struct ExecutorRegistry { chain: Chain }
pub struct Chain;
impl Chain { async fn fire(&self, _ev: &Event) -> Decision { Decision } }
pub struct Event;
pub struct Decision;

pub async fn consult_pre_event_gate(registry: Arc<Mutex<ExecutorRegistry>>, ev: Event) -> Decision {
    let guard = registry.lock().unwrap();       // std::sync::Mutex: blocks the OS thread
    let decision = guard.chain.fire(&ev).await; // guard held across .await
    drop(guard);
    decision
}
