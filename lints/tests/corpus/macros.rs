macro_rules! m { ($($t:tt)*) => { loop { $($t)* } } }
cfg_rt! {
    pub async fn inside_macro() { loop { work(); } }
}
cfg_bad! { this is not rust ((( }
async fn f() {
    loop { m!(a.await); tokio::select! { biased; _ = x => continue, }; unknown!{{{}}} }
    loop { println!("{}", format!("{:?}", vec![1; 3])); }
    loop { tokio::join!(a(), b()); }
}
