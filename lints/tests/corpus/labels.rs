async fn f() -> u8 {
    let v = 'a: {
        if x { break 'a 1; }
        loop { continue 'nope; }
    };
    'l: while let Some(x) = it.next() && x > 0 {
        'm: for y in 0.. { if y > x { continue 'l; } break 'm; }
        break 'l;
    }
    loop { break 'undefined 3; }
}
