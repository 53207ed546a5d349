//! The project stage: what no single file can tell.
//!
//! Phase 2 recipes need the whole project: a sync helper in `db.py` that opens an sqlite3
//! connection blocks the loop only because an `async def` in `app.py` calls it, and it can
//! become `async def` only if every one of its callers, in every module, awaits it. So:
//!
//! 1. [`index`]: the modules that can matter are indexed once each (their definitions,
//!    calls, callbacks and blocking calls), in parallel, and their syntax trees dropped:
//!    every file with async code or a blocking call, then, in rounds ([`run`]), every file
//!    that mentions a function reaching a blocking call (it may call it). Imports of modules
//!    outside the project are not followed. The first round is indexed from the parse the
//!    phase 1 check (or fix loop) of the same file uses.
//! 2. [`Project::new`] (then [`Project::extend`] for each round, which resolves again only
//!    the modules whose resolution looked up something the round added) resolves each call to a project definition where that can be known:
//!    module functions, imports (relative and star imports included, re-exports followed),
//!    `self.m()` and `super().m()` through the class hierarchy, `ClassName.m`,
//!    `self.attr.m()` when every `self.attr = ClassName(...)` agrees (and no subclass assigns
//!    it), locals and module-level names bound to one class's instances, `ClassName(...)` to
//!    its `__init__`. A call that cannot be resolved is never matched by name; its name is
//!    kept so that a definition it might call is never converted.
//! 3. The phase 2 recipes of [`crate::codemods`] query the graph ([`Project::callers`],
//!    [`Project::callees`]) and report [`ProjectFinding`]s whose fixes may edit several files;
//!    [`plan`] turns them into per-file findings and edits, applied before the phase 1 fix
//!    loop of each file.

pub mod index;
pub mod layout;
pub mod plan;
pub mod run;
pub mod texts;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rayon::prelude::*;
use std::path::PathBuf;

use crate::fix::{Applicability, Edit};
use crate::parse::{TextRange, TextSize};
use crate::pipeline::Settings;
use crate::recipe::RecipeMeta;
use crate::semantic::Execution;

use index::{Call, Caller, ModuleIndex, Target, Use};

pub type FileId = usize;

/// A function of the project: its module and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnId {
    pub file: FileId,
    pub index: usize,
}

/// A class of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId {
    pub file: FileId,
    pub index: usize,
}

/// A call of the project: its module and its index in [`ModuleIndex::calls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId {
    pub file: FileId,
    pub index: usize,
}

/// What a callee resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Function(FnId),
    Class(ClassId),
    /// A call of a class whose `__init__` is a project function (`Store(path)`) (boxed: rare,
    /// and every call and value reference of the project has a resolution).
    Init(Box<(ClassId, FnId)>),
    /// Possibly a project definition of this name, but which cannot be known.
    Unknown(Box<str>),
    /// Not a project definition.
    External,
}

impl Resolved {
    fn unknown(name: &str) -> Self {
        Resolved::Unknown(name.into())
    }

    /// The project function a call of it runs: the function, or the class's `__init__`.
    pub fn runs(&self) -> Option<FnId> {
        match self {
            Resolved::Function(function) => Some(*function),
            Resolved::Init(init) => Some(init.1),
            _ => None,
        }
    }
}

/// A call or reference whose target cannot be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownUse {
    pub file: FileId,
    /// The call, or the value reference after the calls (see [`Trace`]), in its module.
    item: u32,
    pub range: TextRange,
    /// An attribute of an unknown object (`obj.run()`), not a bare name.
    pub attribute: bool,
    /// A call whose result is awaited.
    pub awaited: bool,
}

/// A function used as a value: the module, the reference's index in
/// [`ModuleIndex::values`], and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueUse {
    pub file: FileId,
    index: u32,
    pub range: TextRange,
}

/// Something a call may reach instead of the definition it resolves to.
#[derive(Debug, Clone)]
pub struct Rebinding {
    /// Why, for a finding's note.
    pub reason: String,
    /// An `async def`: awaiting its call is right either way.
    pub is_async: bool,
}

/// What the project stage knows of one module once the run's fixes are planned, for the facts
/// it decides (see [`crate::recipe::RunFact::planned`]).
#[derive(Clone, Copy)]
pub struct PlannedModule<'a> {
    pub project: &'a Project,
    /// The module, in `project`.
    pub module: FileId,
    /// Its phase 2 findings.
    pub planned: &'a [crate::recipe::Diagnostic],
    /// Its own findings once the phase 2 edits are applied, with the facts not yet decided
    /// left out (`None`: the check failed).
    pub after: Option<&'a [crate::recipe::Diagnostic]>,
    /// Its settings.
    pub settings: &'a Settings,
    /// The functions async code reaches (see [`Project::reached_from_async`]).
    pub reached: &'a HashMap<FnId, CallId>,
}

/// The indexed modules of a run and the resolved call graph.
pub struct Project {
    pub modules: Vec<ModuleIndex>,
    /// What the run's modules patch (see [`crate::patches`]).
    pub patches: std::sync::Arc<crate::patches::Patches>,
    /// Files by namespace and module name.
    by_name: ModulesByName,
    roots: Roots,
    /// Per module, per call: the callee.
    resolved: Vec<Vec<Resolved>>,
    /// Per module, per value reference: what it is.
    values: Vec<Vec<Resolved>>,
    /// Per module: what resolving its calls looked up (see [`Project::extend`]).
    traces: Vec<Trace>,
    callers: Vec<Vec<Vec<CallId>>>,
    /// Per function: the calls its body makes (not those of nested functions or lambdas).
    callees: Vec<Callees>,
    /// Functions used as values, with where.
    value_uses: Vec<Vec<Vec<ValueUse>>>,
    /// Calls and references that could not be resolved, by the name they use (whether a
    /// definition has that name or not: see [`Project::unknown_use`]).
    unknown: HashMap<String, Vec<UnknownUse>>,
    /// The names definitions have, and the classes defining each method name.
    definitions: Definitions,
    /// Names mentioned in files that could not be indexed (syntax errors): any of them may
    /// call a project function of that name.
    pub unindexed_mentions: HashMap<String, PathBuf>,
    /// Names in a doctest line (`>>> load("a")`) of a file of the run, with the first file
    /// and line: a test run may execute it, and call a project function of that name.
    pub doctest_mentions: HashMap<String, (PathBuf, usize)>,
    /// The module-level constants project functions read, with the first file of the run
    /// that mentions one and is not indexed (or does not parse): it may rebind it unseen.
    pub constant_mentions: HashMap<String, PathBuf>,
    subclasses: HashMap<ClassId, Vec<ClassId>>,
    /// [`Project::reached_from_async`], once asked (the project does not change after it is
    /// built: extending it or replacing modules makes a new one).
    reached: std::sync::OnceLock<HashMap<FnId, CallId>>,
    /// Attribute stores (`x.name = ...`) by name: file and index in its `attribute_stores`.
    stores: HashMap<String, Vec<(FileId, usize)>>,
    /// Names class bodies bind other than by `def` (`fetch = _fetch`).
    class_members: HashSet<String>,
    /// Functions the project files declare as entry points (see
    /// [`layout::entry_points`]), with the declaration.
    entry_points: HashMap<FnId, String>,
    /// The `conftest.py` modules, by the folder they are in (pytest gives their fixtures to
    /// the tests below it).
    conftests: HashMap<PathBuf, FileId>,
}

impl Project {
    pub fn new(modules: Vec<ModuleIndex>) -> Self {
        Self::build(modules, None)
    }

    /// The project with `more` modules: of the modules already resolved, only the calls and
    /// references are resolved again that looked up something the new modules add (module
    /// names, package roots, defined names, attribute stores, method names, subclasses).
    pub fn extend(self, more: Vec<ModuleIndex>) -> Self {
        let (mut modules, previous) = self.into_previous();
        // (No spare room: the modules stay until the run ends.)
        modules.reserve_exact(more.len());
        modules.extend(more);
        Self::build(modules, Some(previous))
    }

    /// The project's modules, and the rest of what it resolved for [`Project::build`] to
    /// start from (every module known, nothing stale, nothing fresh).
    fn into_previous(self) -> (Vec<ModuleIndex>, Previous) {
        let Project {
            modules,
            by_name,
            roots,
            stores,
            class_members,
            conftests,
            resolved,
            callees,
            values,
            traces,
            subclasses,
            callers,
            value_uses,
            unknown,
            definitions,
            ..
        } = self;
        let previous = Previous {
            known: modules.len(),
            tables: Tables {
                by_name,
                roots,
                stores,
                class_members,
                conftests,
            },
            resolved,
            callees,
            values,
            traces,
            subclasses,
            definitions,
            graph: Graph {
                callers,
                value_uses,
                unknown,
            },
            stale: HashSet::default(),
            fresh: HashSet::default(),
        };
        (modules, previous)
    }

    /// The project with some of its modules indexed again (`changed`: a module and its new
    /// index, after a fix edited its file). When every new index defines what its old one did
    /// (the same names, functions, classes and methods, attribute stores; not a `conftest.py`,
    /// whose fixtures are looked up apart), the project's tables hold as they are: only the
    /// changed modules' calls and values are resolved again, and those of the other modules
    /// that looked one of them up (a module name, a class, a method name, an attribute store),
    /// as [`Project::extend`] resolves again what looked up what new modules add. Otherwise
    /// the project is built anew. Either way it resolves as one built whole.
    pub fn replace(self, changed: Vec<(FileId, ModuleIndex)>) -> Self {
        let defines_the_same = changed
            .iter()
            .all(|(file, new)| defines_the_same(&self.modules[*file], new));
        if !defines_the_same {
            let mut modules = self.modules;
            for (file, module) in changed {
                modules[file] = module;
            }
            return Project::new(modules);
        }
        let (mut modules, mut previous) = self.into_previous();
        // What looked a changed module up is resolved again; the changed modules' own calls
        // and values all are, from scratch (their old edges out of the graph first).
        for (file, new) in changed {
            let old = std::mem::replace(&mut modules[file], new);
            let items = previous.resolved[file].iter().chain(&previous.values[file]);
            for (item, target) in items.enumerate() {
                previous.graph.remove(&old, file, item as u32, target);
            }
            let stale = &mut previous.stale;
            let namespace = old.namespace.as_str();
            for name in &old.names {
                stale.insert(key_of(&("m", namespace, name.as_str())));
            }
            for (index, class) in old.classes.iter().enumerate() {
                stale.insert(key_of(&("c", file, index)));
                for method in class.methods.keys() {
                    stale.insert(key_of(&("k", method.as_str())));
                }
            }
            for store in &old.attribute_stores {
                stale.insert(key_of(&("s", store.name.as_str())));
            }
            previous.fresh.insert(file);
        }
        Self::build(modules, Some(previous))
    }

    fn build(modules: Vec<ModuleIndex>, mut previous: Option<Previous>) -> Self {
        // The tables of names, with the new modules added to the previous ones, and the keys
        // (see [`Trace`]) of what they add.
        let (mut tables, mut definitions, known) = match previous.as_mut() {
            Some(previous) => (
                std::mem::take(&mut previous.tables),
                std::mem::take(&mut previous.definitions),
                previous.known,
            ),
            None => (Tables::default(), Definitions::default(), 0),
        };
        let mut added: HashSet<u32> = HashSet::default();
        tables.add(&modules, known, previous.is_some().then_some(&mut added));
        let Tables {
            by_name,
            roots,
            stores,
            class_members,
            conftests,
        } = tables;
        let no_subclasses = HashMap::default();
        let bases_resolver = Resolver {
            modules: &modules,
            by_name: &by_name,
            roots: &roots,
            subclasses: &no_subclasses,
            stores: &stores,
            trace: None,
            conftests: &conftests,
            method_classes: None,
        };
        // Side by side: the direct subclasses of each class, over every module (bases resolved
        // per module in parallel, gathered in module order); the names definitions have and
        // the classes defining each method name, with the new modules added.
        let subclasses_of = || {
            let edges: Vec<Vec<(ClassId, ClassId)>> = modules
                .par_iter()
                .enumerate()
                .map(|(file, module)| {
                    // (Its fields, not the resolver itself, go to the other threads.)
                    let bases_resolver = Resolver {
                        trace: None,
                        ..bases_resolver
                    };
                    let mut edges = Vec::new();
                    for (index, class) in module.classes.iter().enumerate() {
                        for base in &class.bases {
                            if let Resolved::Class(base) = bases_resolver.resolve(file, base, 0) {
                                edges.push((base, ClassId { file, index }));
                            }
                        }
                    }
                    edges
                })
                .collect();
            let mut subclasses: HashMap<ClassId, Vec<ClassId>> = HashMap::default();
            for (base, class) in edges.into_iter().flatten() {
                subclasses.entry(base).or_default().push(class);
            }
            subclasses
        };
        let (subclasses, new_defined) =
            rayon::join(subclasses_of, || definitions.add(&modules, known));
        let defined = &definitions.defined;
        let resolver = Resolver {
            modules: &modules,
            by_name: &by_name,
            roots: &roots,
            subclasses: &subclasses,
            stores: &stores,
            trace: None,
            conftests: &conftests,
            method_classes: Some(&definitions.method_classes),
        };
        // What was resolved before, per module, with the calls and values (items: calls
        // first, then values) whose resolution may change: those that looked up something
        // the new modules add. Only those are resolved again.
        let mut graph = Graph::default();
        let mut reused: Vec<Option<(ModuleResolution, Trace, Vec<u32>)>> = match previous {
            None => Vec::new(),
            Some(mut previous) => {
                graph = std::mem::take(&mut previous.graph);
                previous.add_changes(&mut added, &new_defined, &subclasses);
                added.extend(previous.stale.iter().copied());
                let fresh = &previous.fresh;
                previous
                    .resolved
                    .into_iter()
                    .zip(previous.values)
                    .zip(previous.callees)
                    .zip(previous.traces)
                    .enumerate()
                    .map(|(file, (((calls, values), callees), trace))| {
                        if fresh.contains(&file) {
                            return None;
                        }
                        let stale = trace.stale(&added);
                        Some(((calls, values, callees), trace, stale))
                    })
                    .collect()
            }
        };
        reused.resize_with(modules.len(), || None);
        let resolve = |resolver: &Resolver, file: FileId, target: &Target| match target.name() {
            Some(name) if !defined.contains(name) => {
                resolver.record(&("d", name));
                Resolved::External
            }
            _ => resolver.resolve(file, target, 0),
        };
        // `Store(path)` runs `Store.__init__`.
        let resolve_call = |resolver: &Resolver, file: FileId, target: &Target| match resolve(
            resolver, file, target,
        ) {
            Resolved::Class(class) => match resolver.method(class, "__init__", 0) {
                Resolved::Function(init) => Resolved::Init(Box::new((class, init))),
                _ => Resolved::Class(class),
            },
            other => other,
        };
        // Per module, in parallel: what its calls and values resolve to (the stale ones of a
        // module resolved before, all of a new one), its functions' callees, what was looked
        // up, and the items whose resolution changed (with what it was).
        let per_module: Vec<(ModuleResolution, Trace, Changed)> = modules
            .par_iter()
            .zip(reused.into_par_iter())
            .enumerate()
            .map(|(file, (module, reused))| {
                // A new module has every item to resolve, from placeholders.
                let ((mut calls, mut values, callees), trace, items) = match reused {
                    Some(reused) => reused,
                    None => {
                        let callees = Callees::new(file, module);
                        let calls = vec![Resolved::External; module.calls.len()];
                        let values = vec![Resolved::External; module.values.len()];
                        let items = (0..(calls.len() + values.len()) as u32).collect();
                        ((calls, values, callees), Trace::default(), items)
                    }
                };
                if items.is_empty() {
                    return ((calls, values, callees), trace, Vec::new());
                }
                let trace = std::cell::RefCell::new(trace);
                let resolver = Resolver {
                    trace: Some(&trace),
                    ..resolver
                };
                let count = calls.len();
                let mut changed = Vec::new();
                // A target resolves the same way wherever the module has it (`log.debug`
                // called a hundred times): resolved once, with what it looked up recorded
                // again for each item that has it.
                let mut memo: HashMap<Memo, (Resolved, std::ops::Range<usize>)> =
                    HashMap::with_capacity_and_hasher(items.len() / 4, Default::default());
                let mut looked_up: Vec<u32> = Vec::new();
                for item in items {
                    let index = item as usize;
                    let (is_call, target) = match index < count {
                        true => (true, &module.calls[index].target),
                        false => (false, &module.values[index - count].target),
                    };
                    let new = if let Some((resolved, keys)) = memo.get(&Memo(is_call, target)) {
                        let mut trace = trace.borrow_mut();
                        trace.start(item);
                        for &key in &looked_up[keys.clone()] {
                            trace.record(key);
                        }
                        // (Checked in debug builds, so in every test: resolved afresh, the
                        // item gets the same result and looks up the same keys.)
                        #[cfg(debug_assertions)]
                        {
                            let fresh = std::cell::RefCell::new(Trace::default());
                            let resolver = Resolver {
                                trace: Some(&fresh),
                                ..resolver
                            };
                            fresh.borrow_mut().start(item);
                            let again = match is_call {
                                true => resolve_call(&resolver, file, target),
                                false => resolve(&resolver, file, target),
                            };
                            assert_eq!(&again, resolved, "{target:?}");
                            let sorted = |keys: &mut Vec<u32>| {
                                keys.sort_unstable();
                                keys.dedup();
                            };
                            let mut fresh: Vec<u32> = fresh
                                .into_inner()
                                .keys
                                .iter()
                                .map(|&entry| (entry >> 32) as u32)
                                .collect();
                            let mut kept = looked_up[keys.clone()].to_vec();
                            sorted(&mut fresh);
                            sorted(&mut kept);
                            assert_eq!(fresh, kept, "{target:?}");
                        }
                        resolved.clone()
                    } else {
                        let before = trace.borrow_mut().start(item);
                        let resolved = match is_call {
                            true => resolve_call(&resolver, file, target),
                            false => resolve(&resolver, file, target),
                        };
                        let start = looked_up.len();
                        let keys = &trace.borrow().keys[before..];
                        looked_up.extend(keys.iter().map(|&entry| (entry >> 32) as u32));
                        let keys = start..looked_up.len();
                        memo.insert(Memo(is_call, target), (resolved.clone(), keys));
                        resolved
                    };
                    let slot = match index < count {
                        true => &mut calls[index],
                        false => &mut values[index - count],
                    };
                    if *slot != new {
                        changed.push((item, std::mem::replace(slot, new)));
                    }
                }
                let mut trace = trace.into_inner();
                trace.seal();
                ((calls, values, callees), trace, changed)
            })
            .collect();
        // The call graph: the previous one with the changed items moved, and the new
        // modules' items added.
        for module in &modules[graph.callers.len()..] {
            graph.callers.push(vec![Vec::new(); module.functions.len()]);
            graph
                .value_uses
                .push(vec![Vec::new(); module.functions.len()]);
        }
        let mut resolved = Vec::with_capacity(modules.len());
        let mut callees = Vec::with_capacity(modules.len());
        let mut all_values = Vec::with_capacity(modules.len());
        let mut traces = Vec::with_capacity(modules.len());
        for ((file, module), ((module_resolved, value_targets, module_callees), trace, changed)) in
            modules.iter().enumerate().zip(per_module)
        {
            for (item, old) in changed {
                let new = match module_resolved.get(item as usize) {
                    Some(call) => call,
                    None => &value_targets[item as usize - module_resolved.len()],
                };
                graph.remove(module, file, item, &old);
                graph.add(module, file, item, new);
            }
            traces.push(trace);
            resolved.push(module_resolved);
            callees.push(module_callees);
            all_values.push(value_targets);
        }
        // Entry points, per project folder, resolved from one of its modules.
        let mut entry_points: HashMap<FnId, String> = HashMap::default();
        let mut namespaces: HashSet<&str> = HashSet::default();
        for (file, module) in modules.iter().enumerate() {
            if !namespaces.insert(module.namespace.as_str()) {
                continue;
            }
            for reference in layout::entry_points(&module.path) {
                let Some((object, attr)) = reference.split_once(':') else {
                    continue;
                };
                let segments: Vec<&str> = object.split('.').chain(attr.split('.')).collect();
                let path = index::intern(&segments);
                if let Resolved::Function(f) = resolver.resolve(file, &Target::Qualified(path), 0) {
                    entry_points.insert(f, reference);
                }
            }
        }
        Project {
            patches: Default::default(),
            entry_points,
            modules,
            by_name,
            roots,
            resolved,
            callers: graph.callers,
            callees,
            values: all_values,
            traces,
            value_uses: graph.value_uses,
            unknown: graph.unknown,
            definitions,
            unindexed_mentions: HashMap::default(),
            doctest_mentions: HashMap::default(),
            constant_mentions: HashMap::default(),
            subclasses,
            reached: Default::default(),
            stores,
            class_members,
            conftests,
        }
    }

    /// The entry point declaration naming `function` (`pkg.cli:main`), if any.
    pub fn entry_point(&self, function: FnId) -> Option<&str> {
        self.entry_points.get(&function).map(String::as_str)
    }

    pub fn function(&self, id: FnId) -> &index::Function {
        &self.modules[id.file].functions[id.index]
    }

    pub fn call(&self, id: CallId) -> &Call {
        &self.modules[id.file].calls[id.index]
    }

    pub fn resolved(&self, id: CallId) -> &Resolved {
        &self.resolved[id.file][id.index]
    }

    /// The project function a call runs: its callee, or the `__init__` of the class it
    /// instantiates.
    pub fn callee(&self, id: CallId) -> Option<FnId> {
        self.resolved(id).runs()
    }

    /// Every call in the project, with its resolved callee.
    pub fn calls(&self) -> impl Iterator<Item = (CallId, &Call, &Resolved)> + '_ {
        self.modules.iter().enumerate().flat_map(move |(file, m)| {
            m.calls.iter().enumerate().map(move |(index, call)| {
                (CallId { file, index }, call, &self.resolved[file][index])
            })
        })
    }

    /// Every function of the project.
    pub fn functions(&self) -> impl Iterator<Item = (FnId, &index::Function)> + '_ {
        self.modules.iter().enumerate().flat_map(|(file, m)| {
            m.functions
                .iter()
                .enumerate()
                .map(move |(index, f)| (FnId { file, index }, f))
        })
    }

    /// The calls resolved to `function`.
    pub fn callers(&self, function: FnId) -> &[CallId] {
        &self.callers[function.file][function.index]
    }

    /// The calls made directly in `function`'s body.
    pub fn callees(&self, function: FnId) -> &[CallId] {
        self.callees[function.file].of(function.index)
    }

    /// The function making `call`, if it is made directly in a function's body.
    pub fn caller_of(&self, call: CallId) -> Option<FnId> {
        match self.call(call).caller {
            Caller::Function(index) => Some(FnId {
                file: call.file,
                index,
            }),
            _ => None,
        }
    }

    /// Where `function` is used as a value (a callback, a thread target).
    pub fn value_uses(&self, function: FnId) -> &[ValueUse] {
        &self.value_uses[function.file][function.index]
    }

    /// A lookup by a name computed at run time that may take `function` (a module-level
    /// function from its module, a method from an object of its class's hierarchy; see
    /// [`index::DynamicLookup`]): where.
    pub fn dynamic_lookup(&self, function: FnId) -> Option<(FileId, TextRange)> {
        let f = self.function(function);
        if f.nested {
            return None;
        }
        let target = &self.modules[function.file];
        let class = f.class.map(|index| ClassId {
            file: function.file,
            index,
        });
        // An object of class `C` may have the method of `class` when `class` is in `C`'s
        // hierarchy, that is (the relation is symmetric) when `C` is in `class`'s: computed
        // once, when a lookup on an object first asks.
        let relatives = std::cell::OnceCell::new();
        let related = |object: ClassId| {
            class.is_some_and(|class| {
                relatives
                    .get_or_init(|| self.hierarchy(class))
                    .contains(&object)
            })
        };
        let resolves_to_related =
            |file: FileId, object: &Target| match self.resolver().resolve(file, object, 0) {
                Resolved::Class(object) => related(object),
                _ => false,
            };
        self.modules
            .iter()
            .enumerate()
            .filter(|(_, module)| module.namespace == target.namespace)
            .flat_map(|(file, module)| module.dynamic_lookups.iter().map(move |l| (file, l)))
            .find(|&(file, lookup)| {
                f.name.starts_with(&*lookup.prefix)
                    && match (&lookup.object, class) {
                        (&index::LookupObject::Class(index), Some(_)) => {
                            related(ClassId { file, index })
                        }
                        // The class of an instance, or a class named by an import.
                        (index::LookupObject::Instance(object), Some(_)) => {
                            resolves_to_related(file, object)
                        }
                        (index::LookupObject::Path(path), Some(_)) => {
                            resolves_to_related(file, &Target::Qualified(path))
                        }
                        (index::LookupObject::Named(prefix), None) => {
                            target.names.iter().any(|name| name.starts_with(&**prefix))
                        }
                        (index::LookupObject::Path(path), None) => self
                            .absolute_name(file, path)
                            .is_some_and(|name| target.names.contains(&name)),
                        _ => false,
                    }
            })
            .map(|(file, lookup)| (file, lookup.range))
    }

    /// The classes whose methods an instance of `class` or of a subclass may have: the class,
    /// its subclasses, and the ancestors of each.
    fn hierarchy(&self, class: ClassId) -> HashSet<ClassId> {
        let resolver = self.resolver();
        let mut found: HashSet<ClassId> = HashSet::default();
        let mut stack = vec![class];
        stack.extend(resolver.descendants(class));
        while let Some(current) = stack.pop() {
            if !found.insert(current) {
                continue;
            }
            for base in &self.modules[current.file].classes[current.index].bases {
                if let Resolved::Class(base) = resolver.resolve(current.file, base, 0) {
                    stack.push(base);
                }
            }
        }
        found
    }

    /// A patch of the run (see [`crate::patches`]) that replaces `function` (`names`: the
    /// names modules import it by, its own first) with what the patching code gives
    /// (`monkeypatch.setattr(db, "load", fake)`, `mock.patch("pkg.db.load", new=fake)`): a
    /// sync callable its callers would await once it is `async def`. For a module-level
    /// function, under any of `names` in any project module; for a method, through its class;
    /// for either, on an object no name leads to (`monkeypatch.setattr(store, "load", fake)`).
    pub fn replacing_patch(
        &self,
        function: FnId,
        names: &[&str],
    ) -> Option<&crate::patches::Patch> {
        let f = self.function(function);
        if f.nested {
            return None;
        }
        let module = &self.modules[function.file];
        let modules = self.by_name.get(&module.namespace);
        self.patches.find(names, |patch| {
            if !patch.replaces {
                return false;
            }
            let Some((prefix, _)) = patch.target.rsplit_once('.') else {
                return false;
            };
            // Of an object no name leads to: whatever function of that name it holds.
            if prefix == crate::patches::ON_AN_OBJECT {
                return true;
            }
            match f.class {
                None => modules.is_some_and(|modules| modules.contains_key(prefix)),
                Some(_) => module.names.iter().any(|m| {
                    patch
                        .target
                        .strip_prefix(m.as_str())
                        .and_then(|rest| rest.strip_prefix('.'))
                        == Some(&*f.label)
                }),
            }
        })
    }

    /// The dotted name a path written in module `file` names (`.web` in `pkg.tools` is
    /// `pkg.tools.web`).
    fn absolute_name(&self, file: FileId, path: &[&str]) -> Option<String> {
        absolute(&self.modules[file], path).map(|segments| segments.join("."))
    }

    /// Whether a project definition (a function, a class, a method) has this name.
    pub fn is_defined(&self, name: &str) -> bool {
        self.definitions.defined.contains(name)
    }

    /// An unresolved call or reference using `name` that may reach `function` where awaiting
    /// it would be wrong: awaited calls are right either way, and an attribute of an unknown
    /// object (`obj.run()`) reaches a method, or a function a class body binds, never a module
    /// function called by its bare name.
    pub fn unknown_use(&self, function: FnId, name: &str) -> Option<&UnknownUse> {
        // A callee can only be a project definition under the name of one (most calls are
        // of methods of the standard library's or dependencies' objects): unresolved uses
        // matter under those names only.
        if !self.definitions.defined.contains(name) {
            return None;
        }
        let f = self.function(function);
        let reachable_as_attribute = f.class.is_some() || self.class_members.contains(name);
        self.unknown
            .get(name)?
            .iter()
            .find(|u| !u.awaited && (reachable_as_attribute || !u.attribute))
    }

    /// Why a call of `function` may reach something else at run time (see
    /// [`Project::rebindings`]): the first reason, for recipes that need the one definition.
    pub fn override_reason(&self, function: FnId) -> Option<String> {
        self.rebindings(function)
            .into_iter()
            .next()
            .map(|r| r.reason)
    }

    /// Everything a call of `function` may reach instead of it at run time: a base's or a
    /// subclass's `def` of the name (an override), a class attribute of that name in the
    /// hierarchy (`fetch = _constant`), a class that comes before it in a subclass's method
    /// resolution order (a mixin), a base outside the project, and an attribute store of the
    /// name (`self.fetch = other`, `db.fetch = other`, `setattr(x, "fetch", ...)`) anywhere in
    /// the project.
    pub fn rebindings(&self, function: FnId) -> Vec<Rebinding> {
        let f = self.function(function);
        let mut found = Vec::new();
        let class = f.class.map(|index| ClassId {
            file: function.file,
            index,
        });
        let resolver = self.resolver();
        // The class and its ancestors.
        let mut lineage: HashSet<ClassId> = HashSet::default();
        if let Some(class) = class {
            let mut stack = vec![class];
            while let Some(current) = stack.pop() {
                if !lineage.insert(current) {
                    continue;
                }
                let c = &self.modules[current.file].classes[current.index];
                if current != class {
                    found.extend(
                        self.defines(current, &f.name, |label| format!("it overrides `{label}`")),
                    );
                }
                for base in &c.bases {
                    match resolver.resolve(current.file, base, 0) {
                        Resolved::Class(base) => stack.push(base),
                        _ => found.push(Rebinding {
                            reason: format!(
                                "`{}` derives from a class outside the project, whose code may call it",
                                c.label
                            ),
                            is_async: false,
                        }),
                    }
                }
            }
            // Subclasses, and whatever else their bases bring before it.
            for sub in resolver.descendants(class) {
                let mut stack = vec![sub];
                let mut seen: HashSet<ClassId> = HashSet::default();
                while let Some(current) = stack.pop() {
                    if lineage.contains(&current) || !seen.insert(current) {
                        continue;
                    }
                    let c = &self.modules[current.file].classes[current.index];
                    let sub_label = &self.modules[sub.file].classes[sub.index].label;
                    found.extend(self.defines(current, &f.name, |label| {
                        if current == sub {
                            format!("`{label}` overrides it")
                        } else {
                            format!("`{label}` comes before it in the bases of `{sub_label}`")
                        }
                    }));
                    for base in &c.bases {
                        match resolver.resolve(current.file, base, 0) {
                            Resolved::Class(base) => stack.push(base),
                            _ => found.push(Rebinding {
                                reason: format!(
                                    "subclass `{}` also derives from a class outside the project, which may define it",
                                    c.label
                                ),
                                is_async: false,
                            }),
                        }
                    }
                }
            }
        }
        let descendants = class
            .map(|class| resolver.descendants(class))
            .unwrap_or_default();
        for &(file, index) in self.stores.get(&*f.name).into_iter().flatten() {
            let store = &self.modules[file].attribute_stores[index];
            let relevant = match (store.on_self_of, class) {
                // `self.fetch = ...` in a class of the hierarchy hides the method.
                (Some(index), Some(_)) => {
                    let of = ClassId { file, index };
                    lineage.contains(&of) || descendants.contains(&of)
                }
                // `self.fetch = ...` cannot replace a module function.
                (Some(_), None) => false,
                (None, _) => true,
            };
            if relevant {
                found.push(Rebinding {
                    reason: format!(
                        "`{}` is assigned as an attribute at {}, which may replace it",
                        f.name,
                        self.location(file, store.range.start())
                    ),
                    is_async: false,
                });
            }
        }
        found
    }

    /// What `class` binds `name` to in its body: a `def` (async or not) or another value.
    fn defines(
        &self,
        class: ClassId,
        name: &str,
        reason: impl Fn(&str) -> String,
    ) -> Option<Rebinding> {
        let c = &self.modules[class.file].classes[class.index];
        let label = format!("{}.{name}", c.label);
        if let Some(&index) = c.methods.get(name) {
            let is_async = self.modules[class.file].functions[index].is_async;
            return Some(Rebinding {
                reason: reason(&label),
                is_async,
            });
        }
        c.members.iter().any(|m| m == name).then(|| Rebinding {
            reason: format!("{} (a class attribute, not a `def`)", reason(&label)),
            is_async: false,
        })
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            modules: &self.modules,
            by_name: &self.by_name,
            roots: &self.roots,
            subclasses: &self.subclasses,
            stores: &self.stores,
            trace: None,
            conftests: &self.conftests,
            method_classes: None,
        }
    }

    /// `path:line` of an offset in a module, for messages.
    pub fn location(&self, file: FileId, offset: TextSize) -> String {
        let module = &self.modules[file];
        format!("{}:{}", module.path.display(), module.line_of(offset))
    }

    /// The label of a function with its module (`opsd.db:Store.load`) when it is not in `from`.
    pub fn describe(&self, function: FnId, from: FileId) -> String {
        let f = self.function(function);
        if function.file == from {
            f.label.to_string()
        } else {
            format!("{}.{}", self.modules[function.file].module, f.label)
        }
    }

    /// Whether the function is part of the public API of a library: listed in its module's
    /// `__all__`, or re-exported by a package's `__init__`.
    pub fn is_public_api(&self, function: FnId) -> bool {
        let f = self.function(function);
        if f.class.is_some() || f.nested {
            return false;
        }
        let module = &self.modules[function.file];
        if module.exported.iter().any(|name| **name == *f.name) {
            return true;
        }
        let resolver = self.resolver();
        self.modules.iter().enumerate().any(|(file, m)| {
            m.is_package
                && file != function.file
                && m.top_level.values().any(|target| {
                    matches!(target, Target::Qualified(_))
                        && resolver.resolve(file, target, 0) == Resolved::Function(function)
                })
        })
    }
}

/// What one module's calls and values resolve to, and per function the calls it makes.
type ModuleResolution = (Vec<Resolved>, Vec<Resolved>, Callees);

/// The calls each function of a module makes directly in its body, in order: one list for the
/// module, cut per function (the project keeps them for every function of the run, most of
/// which make few calls).
#[derive(Debug, PartialEq, Eq)]
struct Callees {
    /// Where each function's calls start in `calls`, and where the last one's end.
    starts: Box<[u32]>,
    calls: Box<[CallId]>,
}

impl Callees {
    fn new(file: FileId, module: &ModuleIndex) -> Self {
        let mut starts = vec![0u32; module.functions.len() + 1];
        for call in &module.calls {
            if let Caller::Function(caller) = call.caller {
                starts[caller + 1] += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        // (Filled in call order: each function's calls stay in order.)
        let mut next = starts.clone();
        let made_in_functions = starts[module.functions.len()] as usize;
        let mut calls = vec![CallId { file, index: 0 }; made_in_functions];
        for (index, call) in module.calls.iter().enumerate() {
            if let Caller::Function(caller) = call.caller {
                calls[next[caller] as usize] = CallId { file, index };
                next[caller] += 1;
            }
        }
        Callees {
            starts: starts.into_boxed_slice(),
            calls: calls.into_boxed_slice(),
        }
    }

    fn of(&self, function: usize) -> &[CallId] {
        let (start, end) = (self.starts[function], self.starts[function + 1]);
        &self.calls[start as usize..end as usize]
    }
}

/// The items of a module whose resolution changed, with what it was.
type Changed = Vec<(u32, Resolved)>;

/// The names under which a call can reach a project definition: the definitions' own names,
/// the aliases modules import them by (a re-export `from .core import fetch as get` is called
/// as `pkg.get()`), module-level instances (`store = Store()`).
fn defined_names(modules: &[ModuleIndex]) -> HashSet<&str> {
    modules
        .iter()
        .flat_map(|m| {
            m.functions
                .iter()
                .map(|f| &*f.name)
                .chain(m.classes.iter().map(|c| c.name.as_str()))
                .chain(
                    m.top_level
                        .iter()
                        .filter_map(|(name, target)| match target {
                            Target::Qualified(path) => {
                                (path.last().map(|l| &**l) != Some(name)).then_some(name)
                            }
                            Target::Instance(_) => Some(name),
                            _ => None,
                        }),
                )
        })
        .collect()
}

/// What resolving one module's calls and values looked up in the project, hashed: module
/// names and package roots (`m`, `r`), names no definition has (`d`), attribute stores (`s`),
/// classes whose subclasses were asked for (`c`), the classes defining a method name (`k`);
/// each with the item (a call, or a value after the calls) whose resolution looked it up.
#[derive(Default)]
struct Trace {
    /// `(key, item)` as one number (`key << 32 | item`: sorted by key, then item), sorted and
    /// without duplicates once sealed.
    keys: Vec<u64>,
    /// The item being resolved.
    item: u32,
    /// Where its keys start in `keys`.
    start: usize,
}

impl Trace {
    /// Starts recording what `item` looks up; returns where its keys will start.
    fn start(&mut self, item: u32) -> usize {
        self.item = item;
        self.start = self.keys.len();
        self.start
    }

    fn record(&mut self, key: u32) {
        let entry = u64::from(key) << 32 | u64::from(self.item);
        // (Each key the item looks up is kept once in a row, even when it was already there
        // from an earlier build: its keys from `start` on are all it looked up.)
        if self.keys.len() == self.start || self.keys.last() != Some(&entry) {
            self.keys.push(entry);
        }
    }

    /// Sorts and deduplicates what was recorded.
    fn seal(&mut self) {
        self.keys.sort_unstable();
        self.keys.dedup();
        self.keys.shrink_to_fit();
    }

    /// The items that looked up one of `added`, in order.
    fn stale(&self, added: &HashSet<u32>) -> Vec<u32> {
        let mut items: Vec<u32> = self
            .keys
            .iter()
            .filter(|&&entry| added.contains(&((entry >> 32) as u32)))
            .map(|&entry| entry as u32)
            .collect();
        items.sort_unstable();
        items.dedup();
        items
    }
}

/// A target being resolved, as a call or as a value, as the key of what it resolved to
/// (hashed by [`Target::hash_by_address`]).
#[derive(PartialEq, Eq)]
struct Memo<'t>(bool, &'t Target);

impl std::hash::Hash for Memo<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
        self.1.hash_by_address(state);
    }
}

/// A key's hash, 32 bits of it: two keys with the same hash only make an item resolved again
/// that did not need it.
fn key_of(key: &impl std::hash::Hash) -> u32 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    (BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(key) >> 32) as u32
}

/// The project a [`Project::extend`] starts from.
struct Previous {
    /// How many modules it had (the first ones of the new project).
    known: usize,
    tables: Tables,
    resolved: Vec<Vec<Resolved>>,
    callees: Vec<Callees>,
    values: Vec<Vec<Resolved>>,
    traces: Vec<Trace>,
    subclasses: HashMap<ClassId, Vec<ClassId>>,
    definitions: Definitions,
    graph: Graph,
    /// The keys whose items are resolved again whatever the new modules add (see
    /// [`Project::replace`]).
    stale: HashSet<u32>,
    /// Modules indexed again (see [`Project::replace`]): every item of theirs is resolved
    /// again, from scratch, as a new module's.
    fresh: HashSet<FileId>,
}

/// The call graph's edges: who calls each function, where it is used as a value, and the
/// uses nothing resolves, each list in the order of its items (module, then call or value).
#[derive(Default)]
struct Graph {
    callers: Vec<Vec<Vec<CallId>>>,
    value_uses: Vec<Vec<Vec<ValueUse>>>,
    unknown: HashMap<String, Vec<UnknownUse>>,
}

impl Graph {
    /// Adds the edge of `item` of `module` (a call, or a value after the calls) resolving to
    /// `target`.
    fn add(&mut self, module: &ModuleIndex, file: FileId, item: u32, target: &Resolved) {
        self.edit(module, file, item, target, true);
    }

    /// Removes the edge [`Graph::add`] added.
    fn remove(&mut self, module: &ModuleIndex, file: FileId, item: u32, target: &Resolved) {
        self.edit(module, file, item, target, false);
    }

    fn edit(
        &mut self,
        module: &ModuleIndex,
        file: FileId,
        item: u32,
        target: &Resolved,
        add: bool,
    ) {
        let count = module.calls.len();
        let index = item as usize;
        match (target, target.runs()) {
            // A call of a function, or of a class whose `__init__` it runs.
            (_, Some(f)) if index < count => {
                let id = CallId { file, index };
                edit_sorted(&mut self.callers[f.file][f.index], id, |c| *c, add);
            }
            (Resolved::Function(f), _) => {
                let index = (index - count) as u32;
                let range = module.values[index as usize].range;
                let value = ValueUse { file, index, range };
                edit_sorted(
                    &mut self.value_uses[f.file][f.index],
                    value,
                    |v| (v.file, v.index),
                    add,
                );
            }
            (Resolved::Unknown(name), _) => {
                let (range, attribute, awaited) = match module.calls.get(index) {
                    Some(call) => (
                        call.range,
                        call.target.is_attribute_lookup(),
                        call.usage == Use::Awaited,
                    ),
                    None => {
                        let value = &module.values[index - count];
                        (value.range, value.target.is_attribute_lookup(), false)
                    }
                };
                let found = UnknownUse {
                    file,
                    item,
                    range,
                    attribute,
                    awaited,
                };
                let uses = match self.unknown.get_mut(&**name) {
                    Some(uses) => uses,
                    None if add => self.unknown.entry(name.to_string()).or_default(),
                    None => return,
                };
                edit_sorted(uses, found, |u| (u.file, u.item), add);
            }
            _ => {}
        }
    }
}

/// Inserts `entry` into (or removes it from) `list`, kept sorted by `key`.
fn edit_sorted<T, K: Ord>(list: &mut Vec<T>, entry: T, key: impl Fn(&T) -> K, add: bool) {
    let wanted = key(&entry);
    if add && list.last().is_none_or(|last| key(last) < wanted) {
        list.push(entry);
        return;
    }
    match (list.binary_search_by(|e| key(e).cmp(&wanted)), add) {
        (Err(at), true) => list.insert(at, entry),
        (Ok(at), false) => {
            list.remove(at);
        }
        _ => {}
    }
}

/// Whether a module's new index (`new`) adds to and takes from the project's tables what its
/// old one did (see [`Project::replace`]): the names it defines, its functions and classes in
/// the same order with the same methods and members, its attribute stores; and it is not a
/// `conftest.py`, whose fixtures the tests below it look up by folder.
fn defines_the_same(old: &ModuleIndex, new: &ModuleIndex) -> bool {
    let functions = |m: &ModuleIndex| {
        let functions = m.functions.iter();
        functions
            .map(|f| (f.name.clone(), f.class))
            .collect::<Vec<_>>()
    };
    let classes = |m: &ModuleIndex| {
        let classes = m.classes.iter();
        classes
            .map(|c| (c.name.clone(), c.methods.clone(), c.members.clone()))
            .collect::<Vec<_>>()
    };
    let stores = |m: &ModuleIndex| {
        let stores = m.attribute_stores.iter();
        stores
            .map(|s| (s.name.clone(), s.on_self_of))
            .collect::<Vec<_>>()
    };
    old.path == new.path
        && old.names == new.names
        && old.namespace == new.namespace
        && old
            .path
            .file_name()
            .is_none_or(|name| name != "conftest.py")
        && functions(old) == functions(new)
        && classes(old) == classes(new)
        && stores(old) == stores(new)
        && defined_names(std::slice::from_ref(old)) == defined_names(std::slice::from_ref(new))
}

/// The names the project's definitions have, and the classes defining each method name,
/// filled module by module like [`Tables`].
#[derive(Default)]
struct Definitions {
    /// A callee can only be a project definition under the name of one (most calls are of
    /// methods of the standard library's or dependencies' objects). Names reach definitions
    /// under their own name or under an alias (a re-export `from .core import fetch as get`
    /// is called as `pkg.get()`), or a module-level instance (`store = Store()`).
    defined: HashSet<String>,
    method_classes: HashMap<String, Vec<ClassId>>,
}

impl Definitions {
    /// Adds `modules[from..]`; returns the names they define that none defined before.
    fn add<'m>(&mut self, modules: &'m [ModuleIndex], from: usize) -> Vec<&'m str> {
        let mut new_defined = Vec::new();
        for name in defined_names(&modules[from..]) {
            if !self.defined.contains(name) {
                self.defined.insert(name.to_owned());
                new_defined.push(name);
            }
        }
        for (file, module) in modules.iter().enumerate().skip(from) {
            for (index, class) in module.classes.iter().enumerate() {
                for name in class.methods.keys() {
                    let id = ClassId { file, index };
                    match self.method_classes.get_mut(name.as_str()) {
                        Some(classes) => classes.push(id),
                        None => {
                            self.method_classes.insert(name.clone(), vec![id]);
                        }
                    }
                }
            }
        }
        new_defined
    }
}

impl Previous {
    /// Adds to `added` the keys (see [`Trace`]) of the rest of what the new modules add
    /// (their module names, roots, attribute stores and methods are in already): the names
    /// they define that no module defined before, and the classes whose subclasses changed.
    /// A resolution that looked one up may come out differently now.
    fn add_changes(
        &self,
        added: &mut HashSet<u32>,
        new_defined: &[&str],
        subclasses: &HashMap<ClassId, Vec<ClassId>>,
    ) {
        for name in new_defined {
            added.insert(key_of(&("d", *name)));
        }
        // The classes whose subclasses changed, and their ancestors (their descendants
        // changed), through the edges of both hierarchies.
        let mut parents: HashMap<ClassId, Vec<ClassId>> = HashMap::default();
        for map in [&self.subclasses, subclasses] {
            for (&base, subs) in map {
                for &sub in subs {
                    parents.entry(sub).or_default().push(base);
                }
            }
        }
        let mut stack: Vec<ClassId> = Vec::new();
        for (base, subs) in subclasses {
            if self.subclasses.get(base) != Some(subs) {
                stack.push(*base);
            }
        }
        for (base, _) in self.subclasses.iter() {
            if !subclasses.contains_key(base) {
                stack.push(*base);
            }
        }
        let mut changed: HashSet<ClassId> = HashSet::default();
        while let Some(class) = stack.pop() {
            if changed.insert(class) {
                stack.extend(parents.get(&class).into_iter().flatten().copied());
            }
        }
        for class in changed {
            added.insert(key_of(&("c", class.file, class.index)));
        }
    }
}

/// The project's tables of names, filled module by module: an extended project adds its new
/// modules to the tables it had.
#[derive(Default)]
struct Tables {
    by_name: ModulesByName,
    roots: Roots,
    stores: HashMap<String, Vec<(FileId, usize)>>,
    class_members: HashSet<String>,
    conftests: HashMap<PathBuf, FileId>,
}

impl Tables {
    /// Adds `modules[from..]`, and to `added` the keys (see [`Trace`]) of the module names,
    /// package roots, attribute stores and method names they add.
    fn add(&mut self, modules: &[ModuleIndex], from: usize, mut added: Option<&mut HashSet<u32>>) {
        let mut add = |key: u32| {
            if let Some(added) = added.as_deref_mut() {
                added.insert(key);
            }
        };
        for (file, module) in modules.iter().enumerate().skip(from) {
            let namespace = module.namespace.as_str();
            let names = self.by_name.entry(namespace.to_owned()).or_default();
            for name in &module.names {
                names.entry(name.clone()).or_default().push(file);
                add(key_of(&("m", namespace, name.as_str())));
                if let Some(first) = name.split('.').next() {
                    let firsts = match self.roots.get_mut(namespace) {
                        Some(firsts) => firsts,
                        None => self.roots.entry(namespace.to_owned()).or_default(),
                    };
                    if !firsts.contains(first) {
                        firsts.insert(first.to_owned());
                        add(key_of(&("r", namespace, first)));
                    }
                }
            }
            if module.path.file_name().is_some_and(|n| n == "conftest.py") {
                if let Some(folder) = module.path.parent() {
                    self.conftests.insert(folder.to_path_buf(), file);
                }
            }
            // Attribute stores by name, and the names class bodies bind other than by `def`.
            for (index, store) in module.attribute_stores.iter().enumerate() {
                self.stores
                    .entry(store.name.clone())
                    .or_default()
                    .push((file, index));
                add(key_of(&("s", store.name.as_str())));
            }
            for class in &module.classes {
                self.class_members.extend(class.members.iter().cloned());
                for name in class.methods.keys() {
                    add(key_of(&("k", name.as_str())));
                }
            }
        }
    }
}

/// Resolves targets to project definitions.
#[derive(Clone, Copy)]
struct Resolver<'p> {
    modules: &'p [ModuleIndex],
    by_name: &'p ModulesByName,
    /// Per namespace, the first segments of its module names (`opsd` of `opsd.db`).
    roots: &'p Roots,
    /// Direct subclasses of each class (empty while they are being computed).
    subclasses: &'p HashMap<ClassId, Vec<ClassId>>,
    /// See [`Project::stores`].
    stores: &'p HashMap<String, Vec<(FileId, usize)>>,
    /// Where to note what is looked up, while resolving a module's calls.
    trace: Option<&'p std::cell::RefCell<Trace>>,
    /// See [`Project::conftests`].
    conftests: &'p HashMap<PathBuf, FileId>,
    /// The classes defining a method, by its name (while the calls are resolved; without it
    /// a method on an annotated receiver is not resolved).
    method_classes: Option<&'p HashMap<String, Vec<ClassId>>>,
}

/// How many project classes may define a method called on an annotated receiver before the
/// call is left unresolved (see [`Resolver::annotated_method`]).
const MAX_DEFINING: usize = 4;

/// How many re-exports and aliases are followed before giving up.
const MAX_DEPTH: usize = 8;

impl Resolver<'_> {
    fn record(&self, key: &impl std::hash::Hash) {
        if let Some(trace) = self.trace {
            trace.borrow_mut().record(key_of(key));
        }
    }

    fn resolve(&self, file: FileId, target: &Target, depth: usize) -> Resolved {
        if depth > MAX_DEPTH {
            return Resolved::External;
        }
        let module = &self.modules[file];
        match target {
            Target::Function(index) => Resolved::Function(FnId {
                file,
                index: *index,
            }),
            Target::Class(index) => Resolved::Class(ClassId {
                file,
                index: *index,
            }),
            Target::Qualified(path) => self.resolve_path(file, path, depth),
            Target::Method { class, name } => self.method(
                ClassId {
                    file,
                    index: *class as usize,
                },
                name,
                depth,
            ),
            Target::Super { class, name } => {
                let class = &module.classes[*class as usize];
                for base in &class.bases {
                    match self.resolve(file, base, depth + 1) {
                        Resolved::Class(base) => match self.method(base, name, depth + 1) {
                            Resolved::External => continue,
                            found => return found,
                        },
                        _ => return Resolved::unknown(name),
                    }
                }
                Resolved::External
            }
            Target::AttributeMethod(method) => {
                let index::AttributeMethod {
                    class,
                    attribute,
                    name,
                } = &**method;
                let class_id = ClassId {
                    file,
                    index: *class,
                };
                let constructor = module.classes[*class].attributes.get(&**attribute);
                self.record(&("s", &**attribute));
                // A subclass assigning the attribute too may hold another class's instance,
                // and so may code that stores it from outside (`service.backend = other`).
                if self.assigned_in_subclass(class_id, attribute)
                    || self.stores.get(&**attribute).is_some_and(|stores| {
                        stores.iter().any(|&(file, index)| {
                            self.modules[file].attribute_stores[index]
                                .on_self_of
                                .is_none()
                        })
                    })
                {
                    return Resolved::unknown(name);
                }
                match constructor {
                    Some(Some(constructor)) => self.method_of(file, constructor, name, depth),
                    _ => Resolved::unknown(name),
                }
            }
            Target::InstanceMethod(method) => {
                self.method_of(file, &method.class, &method.name, depth)
            }
            // Calling an instance runs its `__call__`: not followed.
            Target::Instance(_) => Resolved::External,
            Target::Unknown(name) | Target::UnknownAttribute(name) => Resolved::unknown(name),
            Target::External => Resolved::External,
            Target::Annotated(class) => self.resolve(file, class, depth + 1),
            Target::ConftestFixture(name) => {
                // pytest looks in the test's folder, then in each folder above it.
                let mut folder = module.path.parent();
                while let Some(dir) = folder {
                    let conftest = self.conftests.get(dir).copied();
                    if let Some(found) = conftest.filter(|&c| c != file) {
                        match self.modules[found].fixtures.get(&**name) {
                            Some(Some(class)) => return self.resolve(found, class, depth + 1),
                            Some(None) => return Resolved::unknown(name),
                            None => {}
                        }
                    }
                    folder = dir.parent();
                }
                Resolved::unknown(name)
            }
        }
    }

    /// Whether a project class deriving from `class` assigns `self.attribute` itself.
    fn assigned_in_subclass(&self, class: ClassId, attribute: &str) -> bool {
        self.record(&("c", class.file, class.index));
        self.descendants(class).into_iter().any(|sub| {
            self.modules[sub.file].classes[sub.index]
                .attributes
                .contains_key(attribute)
        })
    }

    /// The project classes deriving from `class`, directly or not.
    fn descendants(&self, class: ClassId) -> Vec<ClassId> {
        let mut found: Vec<ClassId> = Vec::new();
        let mut seen: HashSet<ClassId> = HashSet::default();
        let mut stack = vec![class];
        while let Some(current) = stack.pop() {
            for &sub in self.subclasses.get(&current).into_iter().flatten() {
                if sub != class && seen.insert(sub) {
                    found.push(sub);
                    stack.push(sub);
                }
            }
        }
        found
    }

    /// `name` on an instance of the class `class` resolves to (from `file`).
    fn method_of(&self, file: FileId, class: &Target, name: &str, depth: usize) -> Resolved {
        if depth > MAX_DEPTH {
            return Resolved::unknown(name);
        }
        if let Target::Annotated(annotated) = class {
            return self.annotated_method(file, annotated, name, depth);
        }
        match self.resolve(file, class, depth + 1) {
            Resolved::Class(class) => self.method(class, name, depth + 1),
            Resolved::External => Resolved::External,
            // `make_store().load()`: what the function's return annotation names.
            Resolved::Function(f) => match &self.modules[f.file].functions[f.index].returns {
                Some(returns) => self.annotated_method(f.file, returns, name, depth + 1),
                None => Resolved::unknown(name),
            },
            _ => Resolved::unknown(name),
        }
    }

    /// `name` on a value whose annotation names `class`. Python does not check annotations,
    /// and a protocol or duck typing lets any class stand in: the method resolves only when
    /// every project class defining `name` is in the annotated class's hierarchy (where the
    /// override rules apply) and none of it is a protocol.
    fn annotated_method(&self, file: FileId, class: &Target, name: &str, depth: usize) -> Resolved {
        let unknown = || Resolved::unknown(name);
        let Some(method_classes) = self.method_classes else {
            return unknown();
        };
        let class = match self.resolve(file, class, depth + 1) {
            Resolved::Class(class) => class,
            Resolved::External => return Resolved::External,
            _ => return unknown(),
        };
        self.record(&("k", name));
        let defining = method_classes.get(name).map_or(&[][..], Vec::as_slice);
        // A name many classes define is duck typing's own (`get`, `close`): not followed.
        if defining.len() > MAX_DEFINING {
            return unknown();
        }
        if self.modules[class.file].classes[class.index].is_protocol {
            return unknown();
        }
        // The common case, without walking the hierarchy: one class defines it, and it is
        // the one the lookup finds.
        if let [only] = defining {
            return match self.method(class, name, depth + 1) {
                Resolved::Function(f)
                    if self.modules[f.file].functions[f.index].class == Some(only.index)
                        && f.file == only.file
                        && !self.modules[only.file].classes[only.index].is_protocol =>
                {
                    Resolved::Function(f)
                }
                _ => unknown(),
            };
        }
        let mut lineage: HashSet<ClassId> = HashSet::default();
        let mut stack = vec![class];
        while let Some(current) = stack.pop() {
            if !lineage.insert(current) {
                continue;
            }
            let c = &self.modules[current.file].classes[current.index];
            if c.is_protocol {
                return unknown();
            }
            for base in &c.bases {
                if let Resolved::Class(base) = self.resolve(current.file, base, depth + 1) {
                    stack.push(base);
                }
            }
        }
        // (With no class defining it, none is outside the lineage: its descendants do not
        // matter.)
        let outside = !defining.is_empty() && {
            self.record(&("c", class.file, class.index));
            let mut descendants = vec![class];
            while let Some(current) = descendants.pop() {
                for &sub in self.subclasses.get(&current).into_iter().flatten() {
                    if lineage.insert(sub) {
                        descendants.push(sub);
                    }
                }
            }
            defining.iter().any(|c| !lineage.contains(c))
        };
        match self.method(class, name, depth + 1) {
            Resolved::Function(f) if !outside => Resolved::Function(f),
            Resolved::External if method_classes.get(name).is_none() => Resolved::External,
            _ => unknown(),
        }
    }

    /// A method looked up on a class and its bases (as Python's attribute lookup would, for
    /// single inheritance; with several bases, the first that defines it).
    fn method(&self, class: ClassId, name: &str, depth: usize) -> Resolved {
        if depth > MAX_DEPTH {
            return Resolved::unknown(name);
        }
        let c = &self.modules[class.file].classes[class.index];
        if let Some(&index) = c.methods.get(name) {
            return Resolved::Function(FnId {
                file: class.file,
                index,
            });
        }
        for base in &c.bases {
            match self.resolve(class.file, base, depth + 1) {
                Resolved::Class(base) => match self.method(base, name, depth + 1) {
                    Resolved::External => continue,
                    found => return found,
                },
                // An outside base may define it.
                _ => return Resolved::unknown(name),
            }
        }
        // Not a method: an instance attribute holding a callable, perhaps.
        if c.attributes.contains_key(name) {
            return Resolved::unknown(name);
        }
        Resolved::External
    }

    /// A dotted path (absolute, or relative with leading dots) to a project definition.
    fn resolve_path(&self, file: FileId, path: &[impl AsRef<str>], depth: usize) -> Resolved {
        let Some(last) = path.last().map(AsRef::as_ref) else {
            return Resolved::External;
        };
        // Re-exports may import each other in a cycle.
        if depth > MAX_DEPTH {
            return Resolved::unknown(last);
        }
        let absolute: Vec<&str> = match path.first().map(AsRef::as_ref) {
            Some(dots) if dots.starts_with('.') => match absolute(&self.modules[file], path) {
                Some(absolute) => absolute,
                None => return Resolved::unknown(last),
            },
            // Not a project module: the standard library or a dependency.
            Some(first)
                if !{
                    let namespace = &self.modules[file].namespace;
                    self.record(&("r", namespace.as_str(), first));
                    self.roots
                        .get(namespace)
                        .is_some_and(|roots| roots.contains(first))
                } =>
            {
                return Resolved::External
            }
            _ => path.iter().map(AsRef::as_ref).collect(),
        };
        // The longest prefix that names a project module: `a.b.c`, `a.b`, `a`.
        let joined = absolute.join(".");
        let mut ends: Vec<usize> = absolute
            .iter()
            .scan(0, |end, part| {
                *end += part.len() + 1;
                Some(*end - 1)
            })
            .collect();
        ends.reverse();
        let namespace = &self.modules[file].namespace;
        let names = self.by_name.get(namespace);
        for (i, end) in ends.into_iter().enumerate() {
            let split = absolute.len() - i;
            self.record(&("m", namespace.as_str(), &joined[..end]));
            let Some(files) = names.and_then(|names| names.get(&joined[..end])) else {
                continue;
            };
            // As Python finds it: a package before a module of the same name beside it, and a
            // module before its stub.
            let counted_from = |f: FileId| {
                let module = &self.modules[f];
                let folder = module.path.parent();
                if module.is_package {
                    folder.and_then(std::path::Path::parent)
                } else {
                    folder
                }
            };
            let is_stub = |f: FileId| self.modules[f].path.extension().is_some_and(|e| e == "pyi");
            let shadowed = |f: FileId| {
                files.iter().any(|&g| {
                    g != f
                        && counted_from(g) == counted_from(f)
                        && ((self.modules[g].is_package && !self.modules[f].is_package)
                            || (is_stub(f) && !is_stub(g)))
                })
            };
            let kept: Vec<FileId>;
            let files: &[FileId] = if files.len() > 1 {
                kept = files.iter().copied().filter(|&f| !shadowed(f)).collect();
                &kept
            } else {
                files
            };
            let module = match files {
                [one] => *one,
                several => {
                    // Scripts with the same name in several folders: the importer's sibling.
                    let folder = self.modules[file].path.parent();
                    match several
                        .iter()
                        .find(|&&f| self.modules[f].path.parent() == folder)
                    {
                        Some(&f) => f,
                        None => return Resolved::unknown(last),
                    }
                }
            };
            return self.symbol(module, &absolute[split..], depth);
        }
        Resolved::External
    }

    /// `rest` looked up in `module`'s top level (`["Store", "load"]`).
    fn symbol(&self, module: FileId, rest: &[&str], depth: usize) -> Resolved {
        let [first, more @ ..] = rest else {
            // The module itself.
            return Resolved::External;
        };
        let Some(target) = self.modules[module].top_level.get(first) else {
            // A submodule, or something the module defines dynamically.
            return match self.modules[module].is_package {
                true => Resolved::External,
                false => Resolved::unknown(rest.last().unwrap_or(first)),
            };
        };
        match (target, more) {
            (Target::Function(index), []) => Resolved::Function(FnId {
                file: module,
                index: *index,
            }),
            (Target::Class(index), []) => Resolved::Class(ClassId {
                file: module,
                index: *index,
            }),
            (Target::Class(index), [name]) => self.method(
                ClassId {
                    file: module,
                    index: *index,
                },
                name,
                depth + 1,
            ),
            (Target::Qualified(path), _) => {
                let path: Vec<&str> = path
                    .iter()
                    .map(|s| &**s)
                    .chain(more.iter().copied())
                    .collect();
                self.resolve_path(module, &path, depth + 1)
            }
            // `from .store import store; store.get()`: a module-level instance.
            (Target::Instance(class), [name]) => self.method_of(module, class, name, depth),
            _ => Resolved::unknown(rest.last().unwrap_or(first)),
        }
    }
}

/// A finding of a phase 2 recipe: one place, and a fix whose edits may span files.
#[derive(Debug, Clone)]
pub struct ProjectFinding {
    pub recipe: &'static RecipeMeta,
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
    pub note: Option<String>,
    pub fix: Option<ProjectFix>,
    /// See [`crate::recipe::Diagnostic::origin`].
    pub origin: Option<&'static str>,
}

/// Edits in several files that must be applied together or not at all.
#[derive(Debug, Clone)]
pub struct ProjectFix {
    pub applicability: Applicability,
    /// Shared by the findings of one conversion (applied once).
    pub edits: std::sync::Arc<Vec<(FileId, Edit)>>,
}

/// What the phase 2 recipes see: the project, the run's settings, and where to report.
pub struct ProjectChecker<'p> {
    pub project: &'p Project,
    pub settings: &'p Settings,
    findings: Vec<ProjectFinding>,
    /// Per module, once asked: the codes of the recipes that run there (`per-file-ignores`).
    enabled: Vec<std::sync::OnceLock<Vec<&'static str>>>,
}

impl<'p> ProjectChecker<'p> {
    pub fn new(project: &'p Project, settings: &'p Settings) -> Self {
        ProjectChecker {
            project,
            settings,
            findings: Vec::new(),
            enabled: (0..project.modules.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    pub fn report(&mut self, finding: ProjectFinding) {
        self.findings.push(finding);
    }

    /// Whether `recipe` runs in `file` (not disabled by `per-file-ignores`, not a skipped
    /// file) and a finding of it at `offset` is not silenced by a comment: the recipe may
    /// report and edit there.
    pub fn enabled_at(&self, recipe: &RecipeMeta, file: FileId, offset: TextSize) -> bool {
        let module = &self.project.modules[file];
        let enabled = self.enabled[file].get_or_init(|| {
            let settings = self.settings.for_path(&module.path);
            settings.recipes.iter().map(|r| r.meta().code).collect()
        });
        !module.skipped
            && enabled.contains(&recipe.code)
            && !module.suppressions.silences(recipe, offset)
    }

    pub fn into_findings(self) -> Vec<ProjectFinding> {
        self.findings
    }
}

impl Project {
    /// The sync functions that run on the event loop: called (not awaited, not sent to a
    /// thread) from async code, directly or through other such functions. For each, the call
    /// that first reaches it (breadth first, so the paths are shortest).
    pub fn reached_from_async(&self) -> &HashMap<FnId, CallId> {
        self.reached
            .get_or_init(|| self.compute_reached_from_async())
    }

    fn compute_reached_from_async(&self) -> HashMap<FnId, CallId> {
        let mut reached: HashMap<FnId, CallId> = HashMap::default();
        let mut queue = std::collections::VecDeque::new();
        for (id, call, _) in self.calls() {
            let Some(callee) = self.callee(id) else {
                continue;
            };
            if on_loop(call.execution)
                && !self.function(callee).is_async
                && !reached.contains_key(&callee)
            {
                reached.insert(callee, id);
                queue.push_back(callee);
            }
        }
        while let Some(function) = queue.pop_front() {
            for &call in self.callees(function) {
                let Some(callee) = self.callee(call) else {
                    continue;
                };
                if self.call(call).execution == Execution::Sync
                    && !self.function(callee).is_async
                    && !reached.contains_key(&callee)
                {
                    reached.insert(callee, call);
                    queue.push_back(callee);
                }
            }
        }
        reached
    }

    /// The sync functions with a blocking call, and the sync functions that call them
    /// (transitively) from sync code.
    pub fn reaching_blocking(&self) -> HashSet<FnId> {
        let mut found: HashSet<FnId> = HashSet::default();
        let mut queue: Vec<FnId> = Vec::new();
        for (file, module) in self.modules.iter().enumerate() {
            for site in &module.blocking {
                if let Caller::Function(index) = site.caller {
                    let function = FnId { file, index };
                    if !self.function(function).is_async && found.insert(function) {
                        queue.push(function);
                    }
                }
            }
        }
        while let Some(function) = queue.pop() {
            for &call in self.callers(function) {
                let Some(caller) = self.caller_of(call) else {
                    continue;
                };
                if self.call(call).execution == Execution::Sync
                    && !self.function(caller).is_async
                    && found.insert(caller)
                {
                    queue.push(caller);
                }
            }
        }
        found
    }

    /// The functions a phase 2 fix may change the calls of, whose every caller and every
    /// rebinding (an override, an attribute store) must be indexed before it is judged: the
    /// sync functions reaching a blocking call ([`Project::reaching_blocking`]) and the
    /// coroutine functions some call leaves unawaited. And the sync functions those sync
    /// functions call: moved to a thread with them, they are judged too (see
    /// [`Project::thread_obstacle`]), and a replacement of one would run there instead. Not
    /// the `__init__` of a class they construct: constructing a project class already keeps
    /// them out of a thread, whatever the constructor does (so a class raised as an exception
    /// does not bring in every file that names it).
    pub fn judged_functions(&self) -> HashSet<FnId> {
        let mut found = self.reaching_blocking();
        let mut queue: Vec<FnId> = found.iter().copied().collect();
        while let Some(f) = queue.pop() {
            for &call in self.callees(f) {
                if let Resolved::Function(g) = *self.resolved(call) {
                    if !self.function(g).is_async && found.insert(g) {
                        queue.push(g);
                    }
                }
            }
        }
        for (_, call, resolved) in self.calls() {
            if let (Resolved::Function(callee), Use::Discarded | Use::Condition) =
                (resolved, call.usage)
            {
                if self.function(*callee).is_async {
                    found.insert(*callee);
                }
            }
        }
        found
    }

    /// The module-level names other than their own under which `functions` can be imported
    /// (aliases and re-exports: `from .core import fetch as get` gives `get`), with the
    /// function each names.
    pub fn aliases_of(&self, functions: &HashSet<FnId>) -> Vec<(FnId, &str)> {
        let resolver = self.resolver();
        // Only an import whose last segment is a name of one of them (or of an alias found
        // so far) can resolve to one: the others are not resolved at all.
        let mut names: HashSet<&str> = functions.iter().map(|&f| &*self.function(f).name).collect();
        let mut found: Vec<(FnId, &str)> = Vec::new();
        let mut seen: HashSet<(FileId, &str)> = HashSet::default();
        loop {
            let before = found.len();
            // Per module, in parallel; gathered in module order.
            let more: Vec<Vec<(FileId, FnId, &str)>> = self
                .modules
                .par_iter()
                .enumerate()
                .map(|(file, module)| {
                    // (Its fields, not the resolver itself, go to the other threads.)
                    let resolver = Resolver {
                        trace: None,
                        ..resolver
                    };
                    let mut more = Vec::new();
                    for (name, target) in module.top_level.iter() {
                        let Target::Qualified(path) = target else {
                            continue;
                        };
                        let last = path.last().map_or("", |s| &**s);
                        if !names.contains(last) || seen.contains(&(file, name)) {
                            continue;
                        }
                        if let Resolved::Function(f) = resolver.resolve(file, target, 0) {
                            if functions.contains(&f) {
                                more.push((file, f, name));
                            }
                        }
                    }
                    more
                })
                .collect();
            for (file, f, name) in more.into_iter().flatten() {
                seen.insert((file, name));
                found.push((f, name));
            }
            if found.len() == before {
                return found;
            }
            names.extend(found[before..].iter().map(|(_, name)| *name));
        }
    }

    /// The chain of calls from async code to `function` (see [`Project::reached_from_async`]):
    /// the labels of the functions, outermost first (the async caller, when it is a function).
    pub fn path_to(&self, reached: &HashMap<FnId, CallId>, function: FnId) -> Vec<FnId> {
        let mut path = vec![function];
        let mut current = function;
        while let Some(&call) = reached.get(&current) {
            let Some(caller) = self.caller_of(call) else {
                break;
            };
            if path.contains(&caller) {
                break;
            }
            path.push(caller);
            if self.function(caller).is_async {
                break;
            }
            current = caller;
        }
        path.reverse();
        path
    }
}

/// Whether code running as `execution` is on the event loop.
pub fn on_loop(execution: Execution) -> bool {
    execution != Execution::Sync
}

/// Files by namespace and module name (see [`layout`]).
type ModulesByName = HashMap<String, HashMap<String, Vec<FileId>>>;

/// The segments of the module path `path` written in `module` names, a relative one (its
/// first segment the dots: `..`, `db`) made absolute from the module's package; `None` when
/// it goes above the top package.
fn absolute<'p>(module: &'p ModuleIndex, path: &'p [impl AsRef<str>]) -> Option<Vec<&'p str>> {
    let dots = path.first()?.as_ref();
    if !dots.starts_with('.') {
        return Some(path.iter().map(AsRef::as_ref).collect());
    }
    let mut base: Vec<&str> = module
        .package()
        .split('.')
        .filter(|s| !s.is_empty())
        .collect();
    for _ in 1..dots.len() {
        base.pop()?;
    }
    base.extend(path[1..].iter().map(AsRef::as_ref));
    Some(base)
}

/// Per namespace, the first segments of its module names.
pub type Roots = HashMap<String, HashSet<String>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A project folder's files, indexed in order.
    fn indexed(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<ModuleIndex>) {
        let dir = tempfile::tempdir().unwrap();
        let modules = indexed_in(dir.path(), files);
        (dir, modules)
    }

    /// The files written in `dir` (a project folder), indexed in order.
    fn indexed_in(dir: &std::path::Path, files: &[(&str, &str)]) -> Vec<ModuleIndex> {
        std::fs::write(dir.join("pyproject.toml"), "").unwrap();
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let paths: Vec<std::path::PathBuf> = files.iter().map(|(p, _)| dir.join(p)).collect();
        let mut roots: Roots = HashMap::default();
        for path in &paths {
            let place = layout::place(path);
            for name in &place.names {
                let first = name.split('.').next().unwrap().to_owned();
                roots
                    .entry(place.namespace.clone())
                    .or_default()
                    .insert(first);
            }
        }
        paths
            .iter()
            .zip(files)
            .map(|(path, (_, text))| {
                let parsed = crate::parse::parse_module(text).unwrap();
                let place = layout::place(path);
                index::index_module(path, place, text, &parsed, crate::codemods::RECIPES, &roots)
            })
            .collect()
    }

    #[test]
    fn a_function_used_as_a_value_is_reported_where_it_is_first_used() {
        let files: &[(&str, &str)] = &[
            (
                "app/jobs.py",
                "def work():\n    pass\n\ndef later():\n    pass\n",
            ),
            (
                "app/main.py",
                "from app.jobs import work, later\n\nregister(later)\nregister(work)\nregister(work)\nregister(later)\n",
            ),
        ];
        let project = Project::new(indexed(files).1);
        let first_line = |name: &str| {
            let index = project.modules[0]
                .functions
                .iter()
                .position(|f| &*f.name == name)
                .unwrap();
            let uses = project.value_uses(FnId { file: 0, index });
            let first = uses.first().expect("used as a value");
            project.modules[first.file].line_of(first.range.start())
        };
        assert_eq!(first_line("work"), 4);
        assert_eq!(first_line("later"), 3);
    }

    /// A small project whose calls and values go through imports, re-exports, base classes,
    /// annotations and attributes: for the tests comparing a project built in parts, or with
    /// modules replaced, with one built whole.
    const APP: &[(&str, &str)] = &[
            (
                "app/main.py",
                "from app.api import fetch, get\nfrom app.base import Base\n\nclass Service(Base):\n    def __init__(self):\n        self.db = Store()\n\n    def run(self):\n        self.db.load()\n        self.helper()\n\nasync def main():\n    fetch()\n    get()\n    Service().run()\n    fetch()\n    Service().run()\n",
            ),
            ("app/__init__.py", ""),
            ("app/api.py", "from app.core import fetch\nfrom app.core import fetch as get\n"),
            (
                "app/core.py",
                "import time\n\ndef fetch():\n    time.sleep(1)\n",
            ),
            (
                "app/base.py",
                "from app.mixins import Helper\n\nclass Base(Helper):\n    pass\n",
            ),
            (
                "app/annotated.py",
                "from app.store import Store\n\ndef use(store: Store):\n    store.load()\n",
            ),
            (
                "app/store.py",
                "class Store:\n    def load(self):\n        pass\n\nclass Other(Store):\n    def __init__(self):\n        self.db = Store()\n",
            ),
            ("app/patch.py", "import app.main\napp.main.service.db = None\n"),
            (
                "app/mixins.py",
                "class Helper:\n    def helper(self):\n        pass\n\nclass Loader:\n    def load(self):\n        pass\n",
            ),
        ];

    #[test]
    fn extending_a_project_resolves_as_building_it_whole() {
        let files = APP;
        let (_dir, modules) = indexed(files);
        let whole = Project::new(indexed(files).1);
        for split in 1..modules.len() {
            let (_dir, mut first) = indexed(files);
            let rest = first.split_off(split);
            let extended = Project::new(first).extend(rest);
            assert_eq!(extended.resolved, whole.resolved, "split at {split}");
            assert_eq!(extended.values, whole.values, "split at {split}");
            assert_eq!(extended.callees, whole.callees, "split at {split}");
            assert_eq!(extended.callers, whole.callers, "split at {split}");
            assert_eq!(extended.value_uses, whole.value_uses, "split at {split}");
            assert_eq!(extended.unknown, whole.unknown, "split at {split}");
            assert_eq!(extended.definitions.defined, whole.definitions.defined);
        }
    }

    #[test]
    fn replacing_modules_resolves_as_building_it_whole() {
        let mut files = APP.to_vec();
        files.push((
            "app/conftest.py",
            "import pytest\n\n@pytest.fixture\ndef store():\n    return 1\n",
        ));
        let files = &files[..];
        // Each edit: the module's new text, and whether it defines what the old text did (the
        // tables hold) or not (the project is built anew).
        let edits: &[(usize, &str, bool)] = &[
            // A fix's edits: an import added, a call replaced, a function made async.
            (3, "import asyncio\nimport time\n\nasync def fetch():\n    await asyncio.sleep(1)\n", true),
            (0, "import asyncio\nfrom app.api import fetch, get\nfrom app.base import Base\n\nclass Service(Base):\n    def __init__(self):\n        self.db = Store()\n\n    async def run(self):\n        self.db.load()\n        await asyncio.to_thread(self.helper)\n\nasync def main():\n    await fetch()\n    get()\n    await Service().run()\n", true),
            // What the others look up through it changes: a re-export, a base class.
            (2, "from app.core import fetch\nfrom app.store import Store as get\n", true),
            (4, "from app import mixins\n\nclass Base(mixins.Loader):\n    pass\n", true),
            (8, "class Helper:\n    def helper(self):\n        pass\n\nclass Loader(Helper):\n    def load(self):\n        pass\n", true),
            // Definitions change.
            (4, "from app.mixins import Loader as Helper\n\nclass Base(Helper):\n    pass\n", false),
            (3, "import time\n\ndef fetch():\n    time.sleep(1)\n\ndef get():\n    pass\n", false),
            (6, "class Store:\n    def load(self):\n        pass\n    def save(self):\n        pass\n", false),
            (9, "import pytest\n\n@pytest.fixture\ndef store():\n    return Store()\n", false),
        ];
        let snapshot = |project: &Project| {
            format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                project.resolved,
                project.values,
                project.callees,
                project.callers,
                project.value_uses,
                project
                    .unknown
                    .iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
                project
                    .subclasses
                    .iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
        };
        // Each edit alone, then the first five at once.
        let mut cases: Vec<&[(usize, &str, bool)]> = edits.chunks(1).collect();
        cases.push(&edits[..5]);
        for case in cases {
            let dir = tempfile::tempdir().unwrap();
            let old = indexed_in(dir.path(), files);
            let mut edited = files.to_vec();
            for &(module, text, _) in case {
                edited[module].1 = text;
            }
            let new = indexed_in(dir.path(), &edited);
            let whole = Project::new(indexed_in(dir.path(), &edited));
            let changed: Vec<(FileId, ModuleIndex)> = new
                .into_iter()
                .enumerate()
                .filter(|(module, _)| case.iter().any(|(m, _, _)| m == module))
                .collect();
            let kept = changed
                .iter()
                .all(|(m, new)| defines_the_same(&old[*m], new));
            assert_eq!(kept, case.iter().all(|(_, _, kept)| *kept), "{case:?}");
            let replaced = Project::new(old).replace(changed);
            assert_eq!(snapshot(&replaced), snapshot(&whole), "{case:?}");
        }
    }
}
