//! The seed corpus: the project's own C fixtures and patterns (committed,
//! always there), the regression inputs kept under `tests/fuzz_corpus/`,
//! and, when a kernel tree is at hand, a sample of its drivers.

use std::path::{Path, PathBuf};

/// A small source tree: a fixture case's input, the sample tree, or one
/// file placed at its path. Files are relative paths and their bytes.
pub struct SeedTree {
    pub name: String,
    pub files: Vec<(String, Vec<u8>)>,
}

impl SeedTree {
    /// `tree:path` of file `i`, or its path for a one-file tree.
    pub fn file_name(&self, i: usize) -> String {
        if self.files.len() == 1 {
            self.files[i].0.clone()
        } else {
            format!("{}:{}", self.name, self.files[i].0)
        }
    }

    /// Indices of the `.c` and `.h` files, the ones worth mutating.
    pub fn sources(&self) -> Vec<usize> {
        (0..self.files.len())
            .filter(|&i| is_source(&self.files[i].0))
            .collect()
    }
}

pub struct Corpus {
    /// Every seed tree; the fixtures first, then the kernel sample.
    pub trees: Vec<SeedTree>,
    /// Pattern files: the built-in ones and those of the regression corpus.
    pub yaml: Vec<(String, String)>,
    /// Inputs that once broke a property, replayed unmutated every run.
    pub regressions_c: Vec<(String, Vec<u8>)>,
    pub regressions_yaml: Vec<(String, String)>,
}

impl Corpus {
    /// Every C or header file of every tree, as (name, bytes).
    pub fn c_files(&self) -> Vec<(String, &[u8])> {
        self.trees
            .iter()
            .flat_map(|t| {
                t.sources()
                    .into_iter()
                    .map(move |i| (t.file_name(i), &t.files[i].1[..]))
            })
            .collect()
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn regression_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus")
}

fn is_source(rel: &str) -> bool {
    rel.ends_with(".c") || rel.ends_with(".h")
}

/// Loads the corpus; `kernel_sample` files are drawn from the kernel tree
/// of `kernel_root`, if there is one.
pub fn load(kernel_sample: usize) -> Corpus {
    let mut trees = Vec::new();
    let fixtures = repo().join("patterns/tests");
    for pattern in sorted_entries(&fixtures) {
        for case in sorted_entries(&pattern) {
            let input = case.join("input");
            if input.is_dir() {
                let name = case.strip_prefix(&fixtures).unwrap().display().to_string();
                trees.push(tree_of(&input, name));
            }
        }
    }
    trees.push(tree_of(
        &repo().join("examples/sample-tree"),
        "sample-tree".into(),
    ));
    for f in sorted_entries(&repo().join("verifier-kmod/fixtures")) {
        if f.extension().is_some_and(|x| x == "c") {
            let rel = format!("drivers/fuzz/{}", f.file_name().unwrap().to_string_lossy());
            trees.push(one_file(rel, std::fs::read(&f).unwrap()));
        }
    }
    if let Some(root) = kernel_root() {
        trees.extend(kernel_sample_trees(&root, kernel_sample));
    }
    let mut yaml: Vec<(String, String)> = rewriter::pattern::BUILTIN
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let regressions_yaml = read_dir_files(&regression_dir().join("yaml"))
        .into_iter()
        .map(|(n, b)| (n, String::from_utf8_lossy(&b).into_owned()))
        .collect::<Vec<_>>();
    yaml.extend(regressions_yaml.iter().cloned());
    Corpus {
        trees,
        yaml,
        regressions_c: read_dir_files(&regression_dir().join("c")),
        regressions_yaml,
    }
}

/// `UNPLUG_FUZZ_TREE` (`none`: no kernel tree), or else the 6.1 tree that
/// `bench/run.sh` unpacks into its cache, if it is there.
pub fn kernel_root() -> Option<PathBuf> {
    match std::env::var_os("UNPLUG_FUZZ_TREE") {
        Some(v) if v == "none" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => {
            let cache = std::env::var_os("UNPLUG_BENCH_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/unplug/bench"))
                })?;
            let tree = cache.join("linux-6.1");
            tree.join("drivers").is_dir().then_some(tree)
        }
    }
}

fn one_file(rel: String, bytes: Vec<u8>) -> SeedTree {
    SeedTree {
        name: rel.clone(),
        files: vec![(rel, bytes)],
    }
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Every file below `dir`, relative to it.
fn tree_of(dir: &Path, name: String) -> SeedTree {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for p in sorted_entries(&d) {
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    SeedTree { name, files }
}

/// `count` `.c` files of the kernel tree's `drivers/`, spread evenly over
/// the sorted list (deterministic for a given tree), each a one-file tree
/// at its own path. Files over 256 KiB are passed over: they would spend
/// the case budget on a handful of parses.
fn kernel_sample_trees(root: &Path, count: usize) -> Vec<SeedTree> {
    let drivers = root.join("drivers");
    assert!(
        drivers.is_dir(),
        "UNPLUG_FUZZ_TREE={}: no drivers/ directory there",
        root.display()
    );
    let (files, _) = rewriter::tree::list_sources(root, &["drivers".to_string()])
        .expect("the kernel tree is readable");
    let c_files: Vec<&String> = files.iter().filter(|f| f.ends_with(".c")).collect();
    let step = (c_files.len() / count.max(1)).max(1);
    c_files
        .iter()
        .step_by(step)
        .filter_map(|rel| {
            let bytes = std::fs::read(root.join(rel)).ok()?;
            (bytes.len() <= 256 * 1024).then(|| one_file(rel.to_string(), bytes))
        })
        .take(count)
        .collect()
}
