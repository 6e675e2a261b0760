//! What a match bound: metavariable names to the bytes they captured.
//!
//! A rule tries many nodes and backs out of most: a list that only grows
//! during a match, so backing out is a truncation to a mark, costs far
//! less than copying a map for every trial (a `has` over a large block
//! tries every node of it). Names are shared, not copied.

use std::ops::Range;
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captures(Vec<(Arc<str>, Range<usize>)>);

/// How many bindings there were: `Captures::back_to` forgets the later ones.
#[derive(Clone, Copy)]
pub struct Mark(usize);

impl Captures {
    pub fn new() -> Captures {
        Captures(Vec::new())
    }

    pub fn get(&self, name: &str) -> Option<&Range<usize>> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, r)| r)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Binds `name`, replacing what it was bound to.
    pub fn insert(&mut self, name: Arc<str>, range: Range<usize>) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, r)) => *r = range,
            None => self.0.push((name, range)),
        }
    }

    /// Binds `name` unless it is bound.
    pub fn bind_new(&mut self, name: &str, range: Range<usize>) {
        if !self.contains_key(name) {
            self.0.push((name.into(), range));
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| &**n != name);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Range<usize>)> {
        self.0.iter().map(|(n, r)| (n, r))
    }

    pub fn mark(&self) -> Mark {
        Mark(self.0.len())
    }

    /// Forgets what was bound since `mark`. Only valid while nothing bound
    /// before it was rebound: matching only ever adds bindings.
    pub fn back_to(&mut self, mark: Mark) {
        self.0.truncate(mark.0);
    }
}

impl Extend<(Arc<str>, Range<usize>)> for Captures {
    fn extend<I: IntoIterator<Item = (Arc<str>, Range<usize>)>>(&mut self, items: I) {
        for (n, r) in items {
            self.insert(n, r);
        }
    }
}

impl FromIterator<(Arc<str>, Range<usize>)> for Captures {
    fn from_iter<I: IntoIterator<Item = (Arc<str>, Range<usize>)>>(items: I) -> Captures {
        let mut c = Captures::new();
        c.extend(items);
        c
    }
}

impl std::ops::Index<&str> for Captures {
    type Output = Range<usize>;
    /// The range `name` is bound to; panics when it is not bound.
    fn index(&self, name: &str) -> &Range<usize> {
        self.get(name).expect("the name is bound")
    }
}

impl IntoIterator for Captures {
    type Item = (Arc<str>, Range<usize>);
    type IntoIter = std::vec::IntoIter<(Arc<str>, Range<usize>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backing_out_forgets_only_the_later_bindings() {
        let mut c = Captures::new();
        c.insert("A".into(), 0..1);
        let mark = c.mark();
        c.bind_new("B", 1..2);
        c.bind_new("A", 5..6);
        assert_eq!(c.get("A"), Some(&(0..1)));
        c.back_to(mark);
        assert_eq!((c.len(), c.get("B")), (1, None));
        c.insert("A".into(), 2..3);
        assert_eq!(c.get("A"), Some(&(2..3)));
    }
}
