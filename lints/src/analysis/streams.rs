//! Locals that read like a stream: a reader built, in the same file, from something named like
//! a socket, a stream or a child's pipe. `let r = BufReader::new(stdout); r.read_line(&mut l)`
//! blocks as a read of `stdout` would, though `r` is not named like one.
//!
//! The checker has no types, so this is by name, like the rest: one pass over the file's `let`
//! statements in order, where a `let` whose initializer mentions a stream-like name (or a local
//! found earlier) adds its binding. A name that another `let` of the file binds to something
//! else (`let mut cur = Cursor::new(&buf)` in the next function) is left out: by name alone, it
//! is not known which one a read goes to.
//!
//! It also finds the opposite: a local built only from an in-memory reader (`let cursor =
//! Cursor::new(data); let mut stream = decoder(cursor);`). A read of one returns what memory
//! holds, whatever the local is called.
//!
//! The same pass finds a reader's line or byte iterator (`let mut lines =
//! stdin.lock().lines();`, see [`is_reader_lines`]): its `next()` waits for the next line.

use syn::visit::{self, Visit};

use super::names;

/// What sockets, streams and a child process's pipes are called.
pub(crate) const STREAM_NAMES: &[&str] = &[
    "sock", "stream", "tcp", "tls", "listener", "pipe", "stdin", "stdout", "stderr",
];

/// Whether `name` reads like a stream's.
pub(crate) fn is_stream_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    STREAM_NAMES.iter().any(|needle| name.contains(needle))
}

/// A file's stream-like locals, found the first time a read needs them (few files have a read
/// whose receiver is not named like a stream itself; the pass would cost every file).
pub(crate) struct Streams<'f> {
    file: &'f syn::File,
    locals: std::cell::OnceCell<Locals>,
}

/// What [`Streams`] finds in one pass.
#[derive(Debug, Default)]
struct Locals {
    streams: Vec<String>,
    /// The stream-like locals that are a reader's line or byte iterator (`let mut lines =
    /// stdin.lock().lines();`): their `next()` waits for the next line.
    line_iters: Vec<String>,
    /// Locals built only from an in-memory reader (`Cursor::new(..)`, or such a local), in every
    /// `let` of the file that binds the name.
    in_memory: Vec<String>,
}

impl std::fmt::Debug for Streams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams")
            .field("locals", &self.locals.get())
            .finish_non_exhaustive()
    }
}

impl<'f> Streams<'f> {
    pub(crate) fn new(file: &'f syn::File) -> Self {
        Streams {
            file,
            locals: std::cell::OnceCell::new(),
        }
    }

    /// Whether the local `name` reads like a stream.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.locals().streams.iter().any(|s| s == name)
    }

    /// Whether the local `name` is built only from an in-memory reader (`Cursor::new(..)`).
    pub(crate) fn in_memory(&self, name: &str) -> bool {
        self.locals().in_memory.iter().any(|s| s == name)
    }

    /// Whether the local `name` is a stream's line or byte iterator
    /// (`stdin.lock().lines()`, `BufReader::new(sock).bytes()`).
    pub(crate) fn is_line_iter(&self, name: &str) -> bool {
        self.locals().line_iters.iter().any(|s| s == name)
    }

    fn locals(&self) -> &Locals {
        self.locals.get_or_init(|| find(self.file))
    }
}

/// The file's stream-like locals and line iterators (see the module docs).
fn find(file: &syn::File) -> Locals {
    #[derive(Default)]
    struct Lets {
        streams: Vec<String>,
        line_iters: Vec<String>,
        others: Vec<String>,
        /// Names bound to something other than a reader's lines.
        other_iters: Vec<String>,
        in_memory: Vec<String>,
        /// Names bound, somewhere, to something not known to be in memory.
        not_in_memory: Vec<String>,
    }
    impl<'ast> Visit<'ast> for Lets {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            visit::visit_local(self, l);
            let Some(name) = binding(&l.pat) else { return };
            if l.init.as_ref().is_some_and(|i| is_reader_lines(&i.expr)) {
                self.line_iters.push(name.clone());
            } else {
                self.other_iters.push(name.clone());
            }
            let mut m = Mentions {
                known: &self.streams,
                in_memory: &self.in_memory,
                found: false,
                memory: false,
            };
            if let Some(init) = &l.init {
                m.visit_expr(&init.expr);
            }
            let (found, memory) = (m.found, m.memory);
            if memory && !found && !self.not_in_memory.contains(&name) {
                if !self.in_memory.contains(&name) {
                    self.in_memory.push(name.clone());
                }
            } else {
                self.in_memory.retain(|n| *n != name);
                self.not_in_memory.push(name.clone());
            }
            if is_stream_name(&name) {
                return;
            }
            let list = if found {
                &mut self.streams
            } else {
                &mut self.others
            };
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
    struct Mentions<'k> {
        known: &'k [String],
        in_memory: &'k [String],
        /// A stream-like name, or a local found to be one.
        found: bool,
        /// `Cursor`, or a local found to be in memory.
        memory: bool,
    }
    impl Mentions<'_> {
        fn name(&mut self, i: &syn::Ident) {
            let s = i.to_string();
            self.memory |= s == "Cursor" || self.in_memory.contains(&s);
            if !self.found {
                self.found = is_stream_name(&s) || self.known.contains(&s);
            }
        }
    }
    impl<'ast> Visit<'ast> for Mentions<'_> {
        // A variable (`stdout`), or a type in a longer path (`TcpStream::connect`), not a
        // crate or module (`rustls::ServerConnection` is no TLS stream).
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if let [only] = p.segments.iter().collect::<Vec<_>>()[..] {
                self.name(&only.ident);
            } else {
                for seg in &p.segments {
                    if seg.ident.to_string().starts_with(char::is_uppercase) {
                        self.name(&seg.ident);
                    }
                }
            }
        }
        fn visit_member(&mut self, m: &'ast syn::Member) {
            if let syn::Member::Named(i) = m {
                self.name(i);
            }
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.name(&m.method);
            visit::visit_expr_method_call(self, m);
        }
        // What a closure or an async block reads is not what the value is built from.
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    }
    let mut lets = Lets::default();
    lets.visit_file(file);
    let Lets {
        mut streams,
        mut line_iters,
        others,
        other_iters,
        in_memory,
        ..
    } = lets;
    streams.retain(|s| !others.contains(s));
    line_iters.retain(|s| !other_iters.contains(s));
    Locals {
        streams,
        line_iters,
        in_memory,
    }
}

/// `stdin.lock().lines()`, `io::stdin().lines()`, `BufReader::new(sock).bytes()`: the line or
/// byte iterator of a reader, whose `next()` waits for the next line. A `String`'s `lines()`
/// (a child's captured output) walks memory; by name alone the two differ only in what the
/// receiver is built with: a lock on stdin, `stdin()` itself, or a `BufReader`.
fn is_reader_lines(e: &syn::Expr) -> bool {
    struct Reader(bool);
    impl<'ast> Visit<'ast> for Reader {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.0 |= m.method == "lock" && m.args.is_empty();
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                self.0 |= p.path.segments.iter().any(|s| s.ident == "BufReader")
                    || names::path_ends_in(&p.path, &["stdin"]);
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    }
    match e {
        syn::Expr::MethodCall(c)
            if c.args.is_empty() && (c.method == "lines" || c.method == "bytes") =>
        {
            let mut r = Reader(false);
            r.visit_expr(&c.receiver);
            r.0
        }
        _ => false,
    }
}

/// `x`, `mut x`, `x: T`.
fn binding(p: &syn::Pat) -> Option<String> {
    match p {
        syn::Pat::Ident(i) if i.subpat.is_none() => Some(i.ident.to_string()),
        syn::Pat::Type(t) => binding(&t.pat),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_built_from_a_child_pipe_read_like_one() {
        let file: syn::File = syn::parse_str(
            "fn f() { let out = child.stdout.take().unwrap(); let mut r = BufReader::new(out); let lines = r.lines(); let data = Cursor::new(bytes); }",
        )
        .unwrap();
        assert_eq!(find(&file).streams, ["out", "r", "lines"]);
        // The same name bound to an in-memory reader elsewhere in the file: unknown.
        let file: syn::File = syn::parse_str(
            "fn f() { let cur = BufReader::new(tcp); } fn g() { let cur = Cursor::new(&buf); }",
        )
        .unwrap();
        assert!(find(&file).streams.is_empty());
        // A crate named like a stream (`rustls`) says nothing; a type does.
        let file: syn::File = syn::parse_str(
            "fn f() { let conn = rustls::ServerConnection::new(cfg); let s = std::net::TcpStream::connect(a); }",
        )
        .unwrap();
        assert_eq!(find(&file).streams, ["s"]);
    }

    #[test]
    fn readers_built_only_from_memory() {
        // casc-storage's BLTE decoder over a `Cursor`: named `stream`, reads memory.
        let file: syn::File = syn::parse_str(
            "fn f() { let cursor = Cursor::new(data); let mut stream = blte::create_streaming_reader(cursor, None)?; let mixed = Chain::new(Cursor::new(h), tcp); let r = BufReader::new(Cursor::new(b)); }",
        )
        .unwrap();
        assert_eq!(find(&file).in_memory, ["cursor", "stream", "r"]);
        // Bound elsewhere to something else: unknown.
        let file: syn::File = syn::parse_str(
            "fn f() { let stream = Cursor::new(d); } fn g() { let stream = connect(a); }",
        )
        .unwrap();
        assert!(find(&file).in_memory.is_empty());
    }

    #[test]
    fn a_streams_lines_are_an_iterator_that_waits() {
        let file: syn::File = syn::parse_str(
            "fn f() { let it = text.lines(); let stdin = io::stdin(); let mut lines = stdin.lock().lines(); let words = stdin_line.split_whitespace(); let stdin_lines = io::stdin().lines(); let r = BufReader::new(sock).bytes(); } fn g() { let stdout = String::from_utf8(out.stdout)?; let mut out_lines = stdout.lines(); }",
        )
        .unwrap();
        let found = find(&file);
        assert_eq!(found.line_iters, ["lines", "stdin_lines", "r"]);
        assert!(found.streams.contains(&"words".to_string()));
    }
}
