//! Expansion snapshots: every function shape and every option, formatted with prettyplease.
//! Snapshots live in `macros/tests/snapshots/`; review changes with `cargo insta review`.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand;

fn pretty(attr: TokenStream, item: TokenStream) -> String {
    let out = expand(attr, item);
    match syn::parse2::<syn::File>(out.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => out.to_string(),
    }
}

macro_rules! snapshot {
    ($name:ident, ($($attr:tt)*), $($item:tt)*) => {
        #[test]
        fn $name() {
            let out = pretty(quote!($($attr)*), quote!($($item)*));
            insta::with_settings!({
                snapshot_path => "../../tests/snapshots",
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(stringify!($name), out);
            });
        }
    };
}

snapshot!(
    async_fn_default,
    (),
    async fn fetch(rx: &mut Receiver<u64>) -> Result<u64, CancellationError> {
        let mut total = 0;
        while let Some(n) = rx.recv().await {
            total += n;
        }
        Ok(total)
    }
);

snapshot!(
    sync_fn_nested_labelled_loops,
    (),
    pub fn grid(n: usize) -> std::io::Result<usize> {
        let mut cells = 0;
        'rows: for _ in 0..n {
            let mut col = 0;
            loop {
                col += 1;
                if col == n {
                    continue 'rows;
                }
                cells += 1;
            }
        }
        Ok(cells)
    }
);

snapshot!(
    method_generics_where_impl_trait,
    (),
    impl<'a, T> Store<'a, T> {
        pub async fn drain<F>(&mut self, sink: impl Sink<T>, f: F) -> Result<&'a str, Error>
        where
            F: Fn(&T) -> bool,
        {
            for item in self.items.drain(..) {
                if f(&item) {
                    sink.send(item).await?;
                }
            }
            Ok(self.name)
        }
        fn by_value(self: Box<Self>) -> anyhow::Result<()> {
            loop {
                self.step()?;
            }
        }
        const fn skipped(&self) -> usize {
            0
        }
        #[uninterruptible]
        fn opted_out(&self) -> usize {
            loop {}
        }
    }
);

snapshot!(trait_impl_method, (),
    impl Worker for Counter {
        async fn run(&self) -> Result<(), CancellationError> {
            loop { self.tick().await; }
        }
    }
);

snapshot!(
    on_cancel_break,
    (on_cancel = break),
    async fn count(rx: &mut Receiver<u64>) -> u64 {
        let mut count = 0;
        while let Some(n) = rx.recv().await {
            count += n;
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
        }
        count
    }
);

snapshot!(
    on_cancel_return_expr,
    (on_cancel = return partial),
    fn sum(items: &[u64]) -> u64 {
        let mut partial = 0;
        for item in items {
            partial += item;
        }
        partial
    }
);

snapshot!(
    on_cancel_bare_return_no_awaits,
    (on_cancel = return, awaits = false),
    async fn tick(rx: &mut Receiver<()>) {
        loop {
            rx.recv().await;
        }
    }
);

snapshot!(
    loops_off_custom_crate,
    (loops = false, crate = ::my_cancelkit),
    async fn step(rx: &mut Receiver<u8>) -> Result<u8, E> {
        for _ in 0..3 {}
        Ok(rx.recv().await.unwrap_or(0))
    }
);

snapshot!(
    not_descended_and_markers,
    (),
    async fn boundaries() -> Result<(), E> {
        let f = || {
            loop {}
        };
        let fut = async {
            loop {
                other().await;
            }
        };
        fn nested() {
            loop {}
        }
        #[uninterruptible]
        for x in 0..3 {
            flush(x).await;
        }
        #[cancelkit::uninterruptible]
        let done = finish().await;
        tokio::select! { _ = a() => {} }
        if false {
            loop {}
        }
        let c = move || {
            #[uninterruptible]
            loop {}
        };
        Ok(())
    }
);

snapshot!(
    tokio_main_expanded_first,
    (),
    fn main() -> Result<(), E> {
        let body = async {
            loop {
                work().await?;
            }
        };
        let body = { body };
        return tokio::runtime::Builder::new_multi_thread()
            .build()
            .expect("rt")
            .block_on(body);
    }
);

snapshot!(
    error_unit_return,
    (),
    fn nothing() {
        loop {}
    }
);

snapshot!(
    error_unknown_option,
    (on_cancle = break),
    fn f() -> Result<(), E> {
        loop {}
    }
);

snapshot!(
    error_break_value,
    (on_cancel = break),
    fn f() -> u32 {
        let x = loop {
            break 3;
        };
        x
    }
);

snapshot!(
    error_break_await_outside_loop,
    (on_cancel = break),
    async fn f() -> u32 {
        g().await
    }
);

snapshot!(
    async_fn_cpu_loop_inside_a_loop_with_awaits,
    (),
    async fn mixed(items: &[u64], rx: &mut Receiver<u64>) -> Result<u64, E> {
        let mut sum = 0;
        for item in items {
            for _ in 0..*item {
                sum += 1;
            }
        }
        loop {
            tokio::select! { v = rx.recv() => sum += v.unwrap_or(0) }
            break;
        }
        Ok(sum)
    }
);

snapshot!(
    user_let_body_async_is_not_a_wrapper,
    (on_cancel = break),
    fn spawn_later() -> impl Future<Output = ()> {
        let body = async {
            loop {
                tick().await;
            }
        };
        for _ in 0..3 {}
        body
    }
);

snapshot!(
    interrupt_off_and_shield,
    (interrupt = false),
    async fn drain(rx: &mut Receiver<u64>) -> Result<u64, CancellationError> {
        let n = rx.recv().await.unwrap_or(0);
        cancelkit::shield(flush()).await;
        Ok(n)
    }
);

snapshot!(
    async_trait_expanded_first,
    (),
    fn serve<'life0, 'async_trait>(
        &'life0 self,
        mut rx: Rx,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<Output = Result<u32, CancellationError>>
                + ::core::marker::Send
                + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let __self = self;
            let mut rx = rx;
            let __ret: Result<u32, CancellationError> = { Ok(rx.recv().await.unwrap_or(0)) };
            #[allow(unreachable_code)]
            __ret
        })
    }
);

snapshot!(
    uninterruptible_statement_is_shielded,
    (),
    async fn get(conn: &mut Connection, key: &str) -> Result<Frame, Error> {
        #[uninterruptible]
        let reply = {
            conn.write_frame(&request(key)).await?;
            conn.read_frame().await?
        };
        conn.flush().await?;
        Ok(reply)
    }
);

snapshot!(
    tracing_wrapper_await_is_left_alone,
    (),
    async fn traced(rx: Rx) -> Result<u32, E> {
        let __tracing_attr_span = tracing::span!(tracing::Level::INFO, "traced");
        let __tracing_instrument_future = async move { Ok(rx.await?) };
        if !__tracing_attr_span.is_disabled() {
            tracing::Instrument::instrument(__tracing_instrument_future, __tracing_attr_span).await
        } else {
            __tracing_instrument_future.await
        }
    }
);
