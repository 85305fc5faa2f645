//! Calls into the checked code, resolved once every file is analysed.
//!
//! A file's walk leaves three kinds of symbolic results: function summaries (name → the calls
//! of each unchecked path from entry to exit), the channels it makes, and pending findings (a
//! loop that stays reported unless a call on each of its unchecked paths observes; a message
//! `send` that stays reported unless every channel of its crate is unbounded). [`resolve`]
//! computes which functions observe on every path (a least fixed point, so recursion alone
//! never counts as observing) and keeps the pending findings that still hold.
//!
//! A macro invocation is recorded as `name!`: a `macro_rules!` of the checked code resolves it
//! by its body (one that awaits or checks observes; one whose every rule ends in `return` or
//! `panic!` ends the path, which then never reaches the loop's head); a macro defined
//! elsewhere is taken to observe (it may await, as `zenoh_core::ztimeout!` does) unless it is
//! one known not to (`println!`, `assert!`, `info!`).
//!
//! Names are resolved by scope: a call made in one crate resolves to the functions of that crate
//! and of the crates it depends on, never to those of an unrelated crate of the same run (an
//! `async fn collect` in one crate says nothing about `Iterator::collect` in another).
//! Within that scope a call counts as observing only when *every* function of that name
//! observes.

use std::collections::HashMap;

use super::blocking::Blocks;
use super::channels::Channels;
use super::flow::Sym;
use crate::finding::{Annotation, Finding};

/// A finding that holds unless what resolution learns about the whole crate rules it out.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) finding: Finding,
    pub(crate) unless: Unless,
}

/// What rules a [`Pending`] finding out.
#[derive(Debug)]
pub(crate) enum Unless {
    /// A loop's: every unchecked path calls a function that turns out to observe.
    Observes {
        /// Each unchecked path: the functions of the checked code it calls, and its labels.
        paths: Vec<(Vec<Sym>, Vec<Annotation>)>,
        /// `None`: the paths are evidence enough. `Some(calls)`: the finding holds only where
        /// an unchecked path calls one of these free functions and it blocks on every call (see
        /// [`super::blocking`]); each comes with the place it is called.
        if_blocking: Option<Vec<(Sym, Annotation)>>,
    },
    /// Every channel the crate makes is unbounded (see [`Channels`]): a message `send` on a
    /// channel's sender then finishes on its first poll.
    OnlyUnboundedChannels,
}

/// One function's (or `macro_rules!`'s) summary.
#[derive(Debug)]
pub(crate) struct Definition {
    /// The function's name (`name.await` for an `async fn`, `name!` for a macro).
    pub(crate) name: Sym,
    /// The calls of each unchecked path from entry to exit; no path at all means it observes
    /// on every path by itself.
    pub(crate) paths: Vec<Vec<Sym>>,
    /// For a sync free function, what its straight-line part says about blocking.
    pub(crate) blocks: Option<Blocks>,
}

/// What one file contributes to resolution.
#[derive(Debug, Default)]
pub(crate) struct Symbols {
    pub(crate) definitions: Vec<Definition>,
    pub(crate) pending: Vec<Pending>,
    /// The channels the file makes.
    pub(crate) channels: Channels,
}

/// The crates of a run: `visible[c][d]` says whether code of crate `c` can call crate `d`
/// (itself, and its dependencies among the checked crates, transitively).
#[derive(Debug)]
pub(crate) struct Scopes {
    visible: Vec<Vec<bool>>,
}

impl Scopes {
    /// `deps[c]`: the checked crates that crate `c` depends on directly.
    pub(crate) fn new(deps: &[Vec<usize>]) -> Self {
        let n = deps.len();
        let mut visible = vec![vec![false; n]; n];
        for (c, row) in visible.iter_mut().enumerate() {
            let mut stack = vec![c];
            while let Some(d) = stack.pop() {
                if d < n && !row[d] {
                    row[d] = true;
                    stack.extend(deps[d].iter().copied());
                }
            }
        }
        Scopes { visible }
    }

    fn sees(&self, from: usize, to: usize) -> bool {
        self.visible
            .get(from)
            .and_then(|r| r.get(to))
            .copied()
            .unwrap_or(from == to)
    }
}

/// A call as resolution sees it: a name some definition has (by index into
/// [`Table::by_name`]), or a name no definition of the run has, settled at once.
#[derive(Clone, Copy)]
enum Callee {
    Named(usize),
    /// No function of the checked code has this name; `true` for a macro defined elsewhere
    /// that may await.
    Unknown(bool),
}

struct Def {
    krate: usize,
    paths: Vec<Vec<Callee>>,
    observes: bool,
    /// For a sync free function, what its straight-line part says about blocking, with the
    /// calls interned.
    blocks: Option<Blocks<Callee>>,
    /// Settled: it blocks on every call.
    blocking: bool,
}

/// Every definition of the run, with names interned once, so that settling compares indices
/// instead of hashing strings on every round.
struct Table {
    defs: Vec<Def>,
    /// The definitions of each name.
    by_name: Vec<Vec<usize>>,
    /// Whether a name's call observes where the caller sees no definition of it (a macro
    /// defined elsewhere may await).
    fallback: Vec<bool>,
    ids: HashMap<Sym, usize>,
}

impl Table {
    fn callee(&self, name: &str) -> Callee {
        match self.ids.get(name) {
            Some(&id) => Callee::Named(id),
            None => Callee::Unknown(macro_may_observe(name)),
        }
    }

    fn callees(&self, names: &[Sym]) -> Vec<Callee> {
        names.iter().map(|n| self.callee(n)).collect()
    }

    /// Whether every definition of `id` that crate `from` sees satisfies `holds`; `None` when
    /// it sees none.
    fn every_visible(
        &self,
        scopes: &Scopes,
        from: usize,
        id: usize,
        holds: impl Fn(&Def) -> bool,
    ) -> Option<bool> {
        let mut seen = self.by_name[id]
            .iter()
            .map(|&i| &self.defs[i])
            .filter(|d| scopes.sees(from, d.krate))
            .peekable();
        seen.peek()?;
        Some(seen.all(holds))
    }

    fn observes(&self, scopes: &Scopes, from: usize, c: Callee) -> bool {
        match c {
            Callee::Named(id) => self
                .every_visible(scopes, from, id, |d| d.observes)
                .unwrap_or(self.fallback[id]),
            Callee::Unknown(observes) => observes,
        }
    }

    fn blocks(&self, scopes: &Scopes, from: usize, c: Callee) -> bool {
        match c {
            Callee::Named(id) => self
                .every_visible(scopes, from, id, |d| d.blocking)
                .unwrap_or(false),
            Callee::Unknown(_) => false,
        }
    }

    /// Raises `flag` on every definition for which `ready` holds, until none changes: a least
    /// fixed point, so recursion alone never raises it.
    fn settle(&mut self, flag: Flag, ready: impl Fn(&Self, &Def) -> bool) {
        loop {
            let changed: Vec<usize> = (0..self.defs.len())
                .filter(|&i| !flag.get(&self.defs[i]) && ready(self, &self.defs[i]))
                .collect();
            if changed.is_empty() {
                return;
            }
            for i in changed {
                *flag.of(&mut self.defs[i]) = true;
            }
        }
    }
}

/// A macro defined elsewhere (`name!`) may await where nobody can see it, unless it is one
/// known not to.
fn macro_may_observe(name: &str) -> bool {
    name.strip_suffix('!')
        .is_some_and(|m| !super::macros::is_quiet(m))
}

/// Resolves every crate's symbols (`(crate, symbols)` per file) and returns the findings that
/// hold.
pub(crate) fn resolve(files: Vec<(usize, Symbols)>, scopes: &Scopes) -> Vec<Finding> {
    let mut table = Table {
        defs: Vec::new(),
        by_name: Vec::new(),
        fallback: Vec::new(),
        ids: HashMap::new(),
    };
    let mut pending = Vec::new();
    let mut channels: HashMap<usize, Channels> = HashMap::new();
    let mut raw = Vec::new();
    for (krate, symbols) in files {
        channels.entry(krate).or_default().merge(symbols.channels);
        for d in symbols.definitions {
            let next = table.by_name.len();
            let id = *table.ids.entry(d.name.clone()).or_insert(next);
            if id == next {
                table.by_name.push(Vec::new());
                table.fallback.push(macro_may_observe(&d.name));
            }
            table.by_name[id].push(raw.len());
            raw.push((krate, d));
        }
        pending.extend(symbols.pending.into_iter().map(|p| (krate, p)));
    }
    // Calls are interned once every name is known (each summary is dropped as it is turned).
    table.defs = raw
        .into_iter()
        .map(|(krate, d)| Def {
            krate,
            paths: d.paths.iter().map(|p| table.callees(p)).collect(),
            observes: false,
            blocks: d.blocks.as_ref().map(|b| match b {
                Blocks::Direct => Blocks::Direct,
                Blocks::Through(calls) => Blocks::Through(table.callees(calls).into()),
            }),
            blocking: false,
        })
        .collect();
    table.settle(Flag::Observes, |t, d| {
        d.paths
            .iter()
            .all(|calls| calls.iter().any(|&c| t.observes(scopes, d.krate, c)))
    });
    // A free function blocks by itself, or through a free function that does.
    table.settle(Flag::Blocking, |t, d| {
        d.blocks.as_ref().is_some_and(|b| match b {
            Blocks::Direct => true,
            Blocks::Through(calls) => calls.iter().any(|&c| t.blocks(scopes, d.krate, c)),
        })
    });
    let table = &table;
    pending
        .into_iter()
        .filter_map(|(krate, p)| {
            let observes = |c: &Sym| table.observes(scopes, krate, table.callee(c));
            let quiet = |calls: &[Sym]| !calls.iter().any(observes);
            let (labels, extra) = match p.unless {
                Unless::OnlyUnboundedChannels => {
                    let unbounded = channels.get(&krate).is_some_and(|c| c.only_unbounded());
                    return (!unbounded).then_some(p.finding);
                }
                Unless::Observes {
                    paths,
                    if_blocking: None,
                } => (paths.into_iter().find(|(calls, _)| quiet(calls))?.1, None),
                Unless::Observes {
                    paths,
                    if_blocking: Some(candidates),
                } => paths.into_iter().find_map(|(calls, labels)| {
                    let (_, at) = candidates.iter().find(|(c, _)| {
                        calls.contains(c) && table.blocks(scopes, krate, table.callee(c))
                    })?;
                    quiet(&calls).then(|| (labels, Some(at.clone())))
                })?,
            };
            let mut f = p.finding;
            for (i, l) in labels.into_iter().chain(extra).enumerate() {
                f.secondary.insert(i, l);
            }
            Some(f)
        })
        .collect()
}

/// What resolution settles about a definition.
#[derive(Clone, Copy)]
enum Flag {
    Observes,
    Blocking,
}

impl Flag {
    fn get(self, d: &Def) -> bool {
        match self {
            Flag::Observes => d.observes,
            Flag::Blocking => d.blocking,
        }
    }

    fn of(self, d: &mut Def) -> &mut bool {
        match self {
            Flag::Observes => &mut d.observes,
            Flag::Blocking => &mut d.blocking,
        }
    }
}
