fn f() {
    let c = async move |x: u8| -> u8 { loop { if x > 0 { break x; } } };
    let d = || async { while true {} };
    let e = async { || loop {} };
    const C: u8 = { loop { break 1; } };
    static S: fn() = || { loop {} };
}
trait T { async fn m(&self) { loop { self.x(); } } fn n(&self); }
impl T for () { async fn m(&self) { loop { self.y().await; } } fn n(&self) {} }
