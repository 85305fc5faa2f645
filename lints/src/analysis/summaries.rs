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

struct Def {
    krate: usize,
    paths: Vec<Vec<Sym>>,
    observes: bool,
    blocks: Option<Blocks>,
    /// Settled: it blocks on every call.
    blocking: bool,
}

type Defs = HashMap<Sym, Vec<Def>>;

/// Resolves every crate's symbols (`(crate, symbols)` per file) and returns the findings that
/// hold.
pub(crate) fn resolve(files: Vec<(usize, Symbols)>, scopes: &Scopes) -> Vec<Finding> {
    let mut defs: Defs = HashMap::new();
    let mut pending = Vec::new();
    let mut channels: HashMap<usize, Channels> = HashMap::new();
    for (krate, symbols) in files {
        channels.entry(krate).or_default().merge(symbols.channels);
        for d in symbols.definitions {
            defs.entry(d.name).or_default().push(Def {
                krate,
                paths: d.paths,
                observes: false,
                blocks: d.blocks,
                blocking: false,
            });
        }
        pending.extend(symbols.pending.into_iter().map(|p| (krate, p)));
    }
    let observes = |defs: &Defs, from: usize, name: &str| {
        every_visible(defs, scopes, from, name, |d| d.observes).unwrap_or_else(|| {
            // A macro of another crate may await where nobody can see it.
            name.strip_suffix('!')
                .is_some_and(|m| !super::macros::is_quiet(m))
        })
    };
    settle(&mut defs, Flag::Observes, |defs, d| {
        d.paths
            .iter()
            .all(|calls| calls.iter().any(|c| observes(defs, d.krate, c)))
    });
    // A free function blocks by itself, or through a free function that does.
    let blocks = |defs: &Defs, from: usize, name: &str| {
        every_visible(defs, scopes, from, name, |d| d.blocking).unwrap_or(false)
    };
    settle(&mut defs, Flag::Blocking, |defs, d| {
        d.blocks.as_ref().is_some_and(|b| match b {
            Blocks::Direct => true,
            Blocks::Through(calls) => calls.iter().any(|c| blocks(defs, d.krate, c)),
        })
    });
    pending
        .into_iter()
        .filter_map(|(krate, p)| {
            let quiet = |calls: &[Sym]| !calls.iter().any(|c| observes(&defs, krate, c));
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
                    let (_, at) = candidates
                        .iter()
                        .find(|(c, _)| calls.contains(c) && blocks(&defs, krate, c))?;
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

/// Whether every function named `name` that crate `from` can see satisfies `holds`; `None`
/// when it sees none.
fn every_visible(
    defs: &Defs,
    scopes: &Scopes,
    from: usize,
    name: &str,
    holds: impl Fn(&Def) -> bool,
) -> Option<bool> {
    let mut seen = defs
        .get(name)
        .into_iter()
        .flatten()
        .filter(|d| scopes.sees(from, d.krate))
        .peekable();
    seen.peek()?;
    Some(seen.all(holds))
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

/// Raises `flag` on every definition for which `ready` holds, until none changes: a least fixed
/// point, so recursion alone never raises it.
fn settle(defs: &mut Defs, flag: Flag, ready: impl Fn(&Defs, &Def) -> bool) {
    loop {
        let mut changed = Vec::new();
        for (name, ds) in defs.iter() {
            for (i, d) in ds.iter().enumerate() {
                if !flag.get(d) && ready(defs, d) {
                    changed.push((name.clone(), i));
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        for (name, i) in changed {
            if let Some(ds) = defs.get_mut(&name) {
                *flag.of(&mut ds[i]) = true;
            }
        }
    }
}
