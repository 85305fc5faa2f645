fn main() { let _ = b"\xff"; }
// ÿþ invalid utf-8 bytes in a comment
async fn f() { loop {} }
