//! A value remembered with what it was made for: made again only when asked for with another key.

/// A value and the key it was made for (a named struct, never a bare tuple, so a reader sees
/// what the value depends on).
#[derive(Debug)]
pub struct Memo<K, V> {
    made_for: Option<K>,
    value: Option<V>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            made_for: None,
            value: None,
        }
    }
}

impl<K: PartialEq, V> Memo<K, V> {
    /// The value for `key`: the kept one if it was made for that key, else `make`'s (which
    /// gets the previous value and the key it was made for, to reuse a part of it).
    pub fn get(&mut self, key: K, make: impl FnOnce(Option<(K, V)>) -> V) -> &V {
        if self.made_for.as_ref() != Some(&key) || self.value.is_none() {
            let previous = self.made_for.take().zip(self.value.take());
            self.value = Some(make(previous));
            self.made_for = Some(key);
        }
        self.value.as_ref().expect("just made")
    }

    /// The value last made, whatever it was made for.
    pub fn last(&self) -> Option<&V> {
        self.value.as_ref()
    }

    /// Forget the value.
    pub fn clear(&mut self) {
        self.made_for = None;
        self.value = None;
    }
}
