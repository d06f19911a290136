//! This module holds the symbol interner behind [`super::ValueStore`]: symbol
//! text in one growing buffer, and an open-addressing table of ids.
//!
//! Loading 10^7 facts means tens of millions of lookups in a table of millions
//! of symbols, so a lookup should cost one cache miss. Each table slot keeps
//! the first 16 bytes and the length of its symbol inline: typical symbols
//! (lot, site, customer ids) fit, and they are found without touching the
//! text buffer. Longer symbols also compare their full text in the buffer.

/// Bytes of a symbol kept inline in a slot.
const INLINE: usize = 16;

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The first [`INLINE`] bytes of the symbol, zero-padded, little-endian.
    key: [u64; 2],
    /// The symbol's length in bytes (saturated; longer symbols compare text).
    len: u32,
    /// The symbol's id, or [`EMPTY`].
    id: u32,
}

const EMPTY: u32 = u32::MAX;

const EMPTY_SLOT: Slot = Slot {
    key: [0, 0],
    len: 0,
    id: EMPTY,
};

#[derive(Debug)]
pub(super) struct Interner {
    /// Every symbol's text, one after another.
    text: String,
    /// `ends[id]` is where symbol `id` ends in `text`; it starts where the
    /// previous one ends.
    ends: Vec<usize>,
    /// A power-of-two number of slots, at most three quarters full.
    slots: Vec<Slot>,
}

impl Default for Interner {
    fn default() -> Interner {
        Interner {
            text: String::new(),
            ends: Vec::new(),
            slots: vec![EMPTY_SLOT; 16],
        }
    }
}

/// The inline key of a symbol and its hash.
#[inline]
fn key_of(bytes: &[u8]) -> ([u64; 2], u64) {
    let mut raw = [0u8; INLINE];
    let n = bytes.len().min(INLINE);
    raw[..n].copy_from_slice(&bytes[..n]);
    let w0 = u64::from_le_bytes(raw[..8].try_into().expect("8 bytes"));
    let w1 = u64::from_le_bytes(raw[8..].try_into().expect("8 bytes"));
    let mut hash = w0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ w1.wrapping_mul(0xC2B2_AE3D_27D4_EB4F).rotate_left(31)
        ^ (bytes.len() as u64);
    if bytes.len() > INLINE {
        for chunk in bytes[INLINE..].chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            hash = (hash.rotate_left(23) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    // Fold the high bits down: slots are picked by the high bits of a product.
    (
        [w0, w1],
        (hash ^ (hash >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9),
    )
}

impl Interner {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn get(&self, id: u32) -> &str {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.text[start..self.ends[id]]
    }

    fn bits(&self) -> u32 {
        self.slots.len().trailing_zeros()
    }

    /// The slot that holds `text`, or the empty slot where it would go.
    #[inline]
    fn find(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let (key, hash) = key_of(bytes);
        let len = bytes.len().min(u32::MAX as usize) as u32;
        let mask = self.slots.len() - 1;
        let mut idx = (hash >> (64 - self.bits())) as usize;
        loop {
            let slot = &self.slots[idx];
            if slot.id == EMPTY {
                return idx;
            }
            if slot.key == key
                && slot.len == len
                && (bytes.len() <= INLINE || self.get(slot.id) == text)
            {
                return idx;
            }
            idx = (idx + 1) & mask;
        }
    }

    pub(super) fn lookup(&self, text: &str) -> Option<u32> {
        let slot = &self.slots[self.find(text)];
        (slot.id != EMPTY).then_some(slot.id)
    }

    pub(super) fn intern(&mut self, text: &str) -> u32 {
        let idx = self.find(text);
        if self.slots[idx].id != EMPTY {
            return self.slots[idx].id;
        }
        let id = self.ends.len() as u32;
        assert!(id != EMPTY, "more than 2^32 - 1 distinct symbols");
        self.text.push_str(text);
        self.ends.push(self.text.len());
        let (key, _) = key_of(text.as_bytes());
        self.slots[idx] = Slot {
            key,
            len: text.len().min(u32::MAX as usize) as u32,
            id,
        };
        if self.ends.len() * 4 > self.slots.len() * 3 {
            self.grow();
        }
        id
    }

    /// Makes room for about `extra` more symbols of `bytes` bytes in all.
    pub(super) fn reserve(&mut self, extra: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.ends.reserve(extra);
        let wanted = ((self.ends.len() + extra) * 4 / 3 + 1).next_power_of_two();
        if wanted > self.slots.len() {
            self.rebuild(wanted);
        }
    }

    fn grow(&mut self) {
        self.rebuild(self.slots.len() * 2);
    }

    fn rebuild(&mut self, n_slots: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; n_slots]);
        let mask = n_slots - 1;
        let bits = n_slots.trailing_zeros();
        for slot in old.into_iter().filter(|slot| slot.id != EMPTY) {
            let (_, hash) = key_of(self.get(slot.id).as_bytes());
            let mut idx = (hash >> (64 - bits)) as usize;
            while self.slots[idx].id != EMPTY {
                idx = (idx + 1) & mask;
            }
            self.slots[idx] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_never_confused() {
        let mut interner = Interner::default();
        let texts: Vec<String> = (0..50_000)
            .map(|idx| match idx % 5 {
                0 => format!("a-long-symbol-beyond-the-inline-limit-{idx}"),
                1 => format!("L{idx}"),
                // Same first 16 bytes, different lengths and tails.
                2 => format!("0123456789abcdef{idx}"),
                3 => "x\0".repeat(idx % 13),
                _ => format!("{idx}\u{e9}"),
            })
            .collect();
        let mut expected = Vec::new();
        for text in &texts {
            let id = interner.intern(text);
            expected.push(id);
            assert_eq!(interner.get(id), text);
        }
        for (text, id) in texts.iter().zip(&expected) {
            assert_eq!(interner.intern(text), *id);
            assert_eq!(interner.lookup(text), Some(*id));
        }
        let distinct: std::collections::HashSet<&String> = texts.iter().collect();
        assert_eq!(interner.len(), distinct.len());
        assert_eq!(interner.lookup("never interned"), None);
        assert_eq!(interner.lookup("x"), None);
        let empty = interner.intern("");
        assert_eq!(interner.get(empty), "");
        assert_eq!(interner.lookup(""), Some(empty));
        assert_eq!(interner.lookup("\0"), None);
    }

    #[test]
    fn reserving_keeps_every_symbol() {
        let mut interner = Interner::default();
        let a = interner.intern("alpha");
        interner.reserve(1000, 10_000);
        assert_eq!(interner.lookup("alpha"), Some(a));
        let b = interner.intern("beta");
        assert_eq!((interner.get(a), interner.get(b)), ("alpha", "beta"));
    }
}
