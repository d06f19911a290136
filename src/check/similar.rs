//! This module suggests a known name for a misspelt one ("did you mean").

/// The edit distance (insertions, deletions, substitutions) between two
/// strings, counted in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// 1 for equal strings, 0 for strings with nothing in common.
pub fn similarity(a: &str, b: &str) -> f64 {
    let len = a.chars().count().max(b.chars().count());
    if len == 0 {
        return 1.0;
    }
    1.0 - levenshtein(a, b) as f64 / len as f64
}

/// The candidate most similar to `name` (similarity at least 0.6, as Nemo's
/// hints), other than `name` itself; the first one written wins a tie.
pub fn best_match<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let score = similarity(&name.to_lowercase(), &candidate.to_lowercase());
        if score >= 0.6 && best.is_none_or(|(_, best_score)| score > best_score) {
            best = Some((candidate, score));
        }
    }
    best.map(|(candidate, _)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("shipped", "shiped"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("sybmol", "symbol"), 2);
    }

    #[test]
    fn best_match_picks_the_closest_similar_name() {
        let names = ["shipped", "consumed", "shop"];
        assert_eq!(best_match("shiped", names), Some("shipped"));
        assert_eq!(best_match("consume", names), Some("consumed"));
        assert_eq!(best_match("lot", names), None);
        assert_eq!(best_match("shipped", names), None);
    }
}
