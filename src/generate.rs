//! This module writes the synthetic supply-chain workload (`tracelog generate
//! supply-chain N DIR`): the same files, layout and `meta.json` keys as
//! `../shared/bench/gen_supply_chain.py`, from its own random number
//! generator (so the bytes differ from the Python's, the shape does not).
//!
//! Structure, per product line (lines grouped into plants): raw lots from
//! suppliers, 3–6 tiers of batches that each consume 2–8 lots made within a
//! few days of each other, finished lots (each also consuming a shared
//! packaging lot), shipments plant → distribution centre → customers, and
//! equipment runs per batch. `meta.json` records the sizes and, for the trace
//! lots it picks, the reference answers of Q2 and Q3 computed by BFS.
//!
//! Memory stays flat: a lot is three numbers (kind, counter, day) and its
//! name is formatted only when written.

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use indicatif::ProgressBar;
use rustc_hash::FxHashSet;
use serde::Serialize;

const SPLIT_MIN: u64 = 1;
const SPLIT_MAX: u64 = 4;
const FANIN_MIN: u64 = 2;
const FANIN_MAX: u64 = 8;
const TIER_MIN: u64 = 3;
const TIER_MAX: u64 = 6;
const RAW_TIER1_SHARE: f64 = 0.6;
const SKIP_TIER_SHARE: f64 = 0.1;
const WINDOW_DAYS: f64 = 3.0;
const PACK_SPLIT_MIN: u64 = 4;
const PACK_SPLIT_MAX: u64 = 16;
const DAYS: u64 = 730;

/// The Python generator's default seed.
pub const DEFAULT_SEED: u64 = 20240611;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Target number of genealogy edges (rows of `consumed.facts`).
    pub target_edges: u64,
    pub seed: u64,
    /// Pick the trace lots by BFS (otherwise the first raw and finished lot).
    pub anchors: bool,
}

/// The contents of `meta.json`, in the Python generator's key order.
#[derive(Clone, Debug, Serialize)]
pub struct Meta {
    pub target_edges: u64,
    pub seed: u64,
    pub consumed: usize,
    pub shipped: usize,
    pub equipment_run: usize,
    pub lots: usize,
    pub raw_lots: usize,
    pub finished_lots: usize,
    pub batches: usize,
    pub lines: usize,
    pub plants: usize,
    pub suppliers: usize,
    pub dcs: usize,
    pub customers: usize,
    pub product_lines: Vec<LineInfo>,
    pub trace_raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q2_affected_lots: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q2_exposed_customers: Option<usize>,
    pub trace_finished: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q3_ancestors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q3_raw_ancestors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q3_suppliers: Option<usize>,
    pub gen_seconds: GenSeconds,
}

#[derive(Clone, Debug, Serialize)]
pub struct LineInfo {
    pub line: usize,
    pub plant: String,
    pub tiers: usize,
    pub raw_lots: usize,
    pub finished_lots: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct GenSeconds {
    pub generate: f64,
    pub anchors: f64,
    pub write: f64,
}

/// Generates the workload into `dir` (created when missing) and returns what
/// was written to `meta.json`. `progress` is advanced by generated edges; pass
/// `ProgressBar::hidden()` when nobody watches.
pub fn supply_chain(config: &Config, dir: &Path, progress: &ProgressBar) -> std::io::Result<Meta> {
    let t0 = Instant::now();
    progress.set_length(config.target_edges.max(1));
    progress.set_message("generating");
    let mut g = Gen::new(config.target_edges, config.seed);
    g.run(progress);
    let t1 = Instant::now();
    progress.set_message("choosing trace lots");
    let anchor = if config.anchors {
        g.pick_anchors()
    } else {
        Anchor {
            raw: g.raw_ids[0],
            finished: g.finished_ids[0],
            answers: None,
        }
    };
    let t2 = Instant::now();
    progress.set_message("writing");
    g.write(dir, &anchor)?;
    let t3 = Instant::now();
    let seconds = |a: Instant, b: Instant| ((b - a).as_secs_f64() * 100.0).round() / 100.0;
    let mut name = Vec::new();
    let mut name_of = |lot: u32| {
        name.clear();
        g.push_lot(&mut name, lot);
        String::from_utf8_lossy(&name).into_owned()
    };
    let answers = anchor.answers.as_ref();
    let meta = Meta {
        target_edges: config.target_edges,
        seed: config.seed,
        consumed: g.src.len(),
        shipped: g.shipped.len(),
        equipment_run: g.equip.len(),
        lots: g.kind.len(),
        raw_lots: g.raw_ids.len(),
        finished_lots: g.finished_ids.len(),
        batches: g.kind.len() - g.raw_ids.len() - g.finished_ids.len(),
        lines: g.n_lines,
        plants: g.n_plants,
        suppliers: g.n_suppliers,
        dcs: g.n_dcs,
        customers: g.n_customers,
        product_lines: g.line_info.clone(),
        trace_raw: name_of(anchor.raw),
        q2_affected_lots: answers.map(|a| a.q2_affected_lots),
        q2_exposed_customers: answers.map(|a| a.q2_exposed_customers),
        trace_finished: name_of(anchor.finished),
        q3_ancestors: answers.map(|a| a.q3_ancestors),
        q3_raw_ancestors: answers.map(|a| a.q3_raw_ancestors),
        q3_suppliers: answers.map(|a| a.q3_suppliers),
        gen_seconds: GenSeconds {
            generate: seconds(t0, t1),
            anchors: seconds(t1, t2),
            write: seconds(t2, t3),
        },
    };
    let file = std::fs::File::create(dir.join("meta.json"))?;
    let mut out = std::io::BufWriter::new(file);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    meta.serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()?;
    progress.finish_and_clear();
    Ok(meta)
}

/// Expected consumed edges generated per tier-assigned raw lot (sizes the lines).
fn expected_edges_per_raw(tiers: usize) -> f64 {
    let split = (SPLIT_MIN + SPLIT_MAX) as f64 / 2.0;
    let fanin = (FANIN_MIN + FANIN_MAX) as f64 / 2.0;
    let mut share = vec![0.0; tiers + 1];
    share[1] = RAW_TIER1_SHARE;
    for item in share.iter_mut().skip(2) {
        *item = (1.0 - RAW_TIER1_SHARE) / (tiers - 1) as f64;
    }
    let mut carry = vec![0.0; tiers + 2];
    let mut edges = 0.0;
    let mut batches = 0.0;
    for t in 1..=tiers {
        let slots = split * share[t] + carry[t];
        edges += slots;
        batches = slots / fanin;
        let out = split * batches;
        if t < tiers {
            if t + 2 <= tiers {
                carry[t + 1] += out * (1.0 - SKIP_TIER_SHARE);
                carry[t + 2] += out * SKIP_TIER_SHARE;
            } else {
                carry[t + 1] += out;
            }
        }
    }
    let finished = split * batches;
    edges + 2.0 * finished
}

/// xoshiro256** seeded through splitmix64: small, fast, reproducible.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let res = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        res
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX - n + 1) % n;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % n;
            }
        }
    }

    /// Uniform in `lo..=hi`.
    fn randint(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `k` distinct indices of `0..n` (k <= n), in random order.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let k = k.min(n);
        if k * 4 <= n {
            let mut res: Vec<usize> = Vec::with_capacity(k);
            while res.len() < k {
                let x = self.below(n as u64) as usize;
                if !res.contains(&x) {
                    res.push(x);
                }
            }
            return res;
        }
        let mut pool: Vec<usize> = (0..n).collect();
        for idx in 0..k {
            let j = idx + self.below((n - idx) as u64) as usize;
            pool.swap(idx, j);
        }
        pool.truncate(k);
        pool
    }
}

/// Lot kinds: raw, batch of tier 1..=6, finished.
const KIND_RAW: u8 = 0;
const KIND_FINISHED: u8 = 7;

/// Sites are packed into a u32: the kind in the top two bits, the index below.
const SITE_SUPPLIER: u32 = 0;
const SITE_PLANT: u32 = 1 << 30;
const SITE_DC: u32 = 2 << 30;
const SITE_CUSTOMER: u32 = 3 << 30;
const SITE_INDEX: u32 = (1 << 30) - 1;

struct Shipment {
    lot: u32,
    from: u32,
    to: u32,
    day: i32,
}

struct Anchor {
    raw: u32,
    finished: u32,
    answers: Option<Answers>,
}

struct Answers {
    q2_affected_lots: usize,
    q2_exposed_customers: usize,
    q3_ancestors: usize,
    q3_raw_ancestors: usize,
    q3_suppliers: usize,
}

struct Gen {
    n: u64,
    rng: Rng,
    /// Per lot: kind, per-kind counter (the number in its name), day.
    kind: Vec<u8>,
    number: Vec<u32>,
    day: Vec<i32>,
    counters: [u32; 8],
    src: Vec<u32>,
    dst: Vec<u32>,
    shipped: Vec<Shipment>,
    /// (batch, equipment number, day).
    equip: Vec<(u32, u32, i32)>,
    raw_ids: Vec<u32>,
    finished_ids: Vec<u32>,
    line_info: Vec<LineInfo>,
    n_lines: usize,
    n_plants: usize,
    n_suppliers: usize,
    n_dcs: usize,
    n_customers: usize,
}

impl Gen {
    fn new(n: u64, seed: u64) -> Gen {
        let decades = (n.max(10) as f64).log10().round_ties_even().max(1.0) as usize;
        let n_lines = (2 * decades).saturating_sub(2).max(3);
        Gen {
            n,
            rng: Rng::new(seed),
            kind: Vec::new(),
            number: Vec::new(),
            day: Vec::new(),
            counters: [0; 8],
            src: Vec::new(),
            dst: Vec::new(),
            shipped: Vec::new(),
            equip: Vec::new(),
            raw_ids: Vec::new(),
            finished_ids: Vec::new(),
            line_info: Vec::new(),
            n_lines,
            n_plants: n_lines.div_ceil(3).max(1),
            n_suppliers: ((n as f64).sqrt() / 2.0) as usize,
            n_dcs: ((n as f64).sqrt() / 20.0) as usize,
            n_customers: (n / 20) as usize,
        }
    }

    fn new_lot(&mut self, kind: u8, day: i64) -> u32 {
        self.counters[kind as usize] += 1;
        let id = self.kind.len() as u32;
        self.kind.push(kind);
        self.number.push(self.counters[kind as usize]);
        self.day.push(day as i32);
        id
    }

    fn edge(&mut self, from: u32, to: u32) {
        self.src.push(from);
        self.dst.push(to);
    }

    fn run(&mut self, progress: &ProgressBar) {
        let n = self.n;
        self.n_suppliers = self.n_suppliers.max(20);
        self.n_dcs = self.n_dcs.max(4);
        self.n_customers = self.n_customers.max(100);
        let (n_lines, n_plants, n_suppliers, n_dcs) =
            (self.n_lines, self.n_plants, self.n_suppliers, self.n_dcs);
        let mut eq_counter = 0u32;
        let line_tiers: Vec<usize> = (0..n_lines)
            .map(|_| self.rng.randint(TIER_MIN, TIER_MAX) as usize)
            .collect();
        let mut finished_by_plant: Vec<Vec<u32>> = vec![Vec::new(); n_plants];
        let mut plant_of_finished: Vec<u32> = Vec::new();
        for (line, &tiers) in line_tiers.iter().enumerate() {
            let plant = line % n_plants;
            let n_raw = ((n as f64 / n_lines as f64 / expected_edges_per_raw(tiers))
                .round_ties_even() as usize)
                .max(8);
            // Raw materials of this line, each with 1..3 approved suppliers.
            let n_mat = (n_raw / 50).clamp(5, 200);
            let mat_sup: Vec<Vec<usize>> = (0..n_mat)
                .map(|_| {
                    let k = self.rng.randint(1, 3) as usize;
                    self.rng.sample(n_suppliers, k)
                })
                .collect();
            let equipment: Vec<Vec<u32>> = (0..=tiers)
                .map(|_| {
                    let k = self.rng.randint(2, 6);
                    (0..k)
                        .map(|_| {
                            eq_counter += 1;
                            eq_counter
                        })
                        .collect()
                })
                .collect();
            // Slots waiting to be consumed by a tier: (key day, lot).
            let mut incoming: Vec<Vec<(f64, u32)>> = vec![Vec::new(); tiers + 2];
            for _ in 0..n_raw {
                let d = self.rng.below(DAYS) as i64;
                let lot = self.new_lot(KIND_RAW, d);
                self.raw_ids.push(lot);
                let sups = &mat_sup[self.rng.below(n_mat as u64) as usize];
                let sup = sups[self.rng.below(sups.len() as u64) as usize];
                self.shipped.push(Shipment {
                    lot,
                    from: SITE_SUPPLIER | sup as u32,
                    to: SITE_PLANT | plant as u32,
                    day: d as i32,
                });
                let t = if self.rng.random() < RAW_TIER1_SHARE || tiers == 1 {
                    1
                } else {
                    self.rng.randint(2, tiers as u64) as usize
                };
                for _ in 0..self.rng.randint(SPLIT_MIN, SPLIT_MAX) {
                    let key = d as f64 + self.rng.random() * WINDOW_DAYS;
                    incoming[t].push((key, lot));
                }
            }
            let mut last: Vec<u32> = Vec::new();
            for t in 1..=tiers {
                let mut slots = std::mem::take(&mut incoming[t]);
                slots.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut produced = Vec::new();
                let mut i = 0;
                // A lot already in this batch waits for the next one.
                let mut pending: VecDeque<u32> = VecDeque::new();
                let mut ins: Vec<u32> = Vec::with_capacity(FANIN_MAX as usize);
                let mut again: Vec<u32> = Vec::new();
                while i < slots.len() || !pending.is_empty() {
                    let k = self.rng.randint(FANIN_MIN, FANIN_MAX) as usize;
                    ins.clear();
                    again.clear();
                    while ins.len() < k && (!pending.is_empty() || i < slots.len()) {
                        let lot = match pending.pop_front() {
                            Some(lot) => lot,
                            None => {
                                i += 1;
                                slots[i - 1].1
                            }
                        };
                        if ins.contains(&lot) {
                            again.push(lot);
                        } else {
                            ins.push(lot);
                        }
                    }
                    pending.extend(again.iter().copied());
                    let max_day =
                        ins.iter().map(|&x| self.day[x as usize]).max().unwrap_or(0) as i64;
                    let bday = max_day + self.rng.randint(1, 3) as i64;
                    let b = self.new_lot(t as u8, bday);
                    for &x in &ins {
                        self.edge(x, b);
                    }
                    let eqs = &equipment[t];
                    let k_eq = (self.rng.randint(1, 2) as usize).min(eqs.len());
                    for idx in self.rng.sample(eqs.len(), k_eq) {
                        self.equip.push((b, eqs[idx], bday as i32));
                    }
                    produced.push(b);
                    if t < tiers {
                        for _ in 0..self.rng.randint(SPLIT_MIN, SPLIT_MAX) {
                            let key = bday as f64 + self.rng.random() * WINDOW_DAYS;
                            if t + 2 <= tiers && self.rng.random() < SKIP_TIER_SHARE {
                                incoming[t + 2].push((key, b));
                            } else {
                                incoming[t + 1].push((key, b));
                            }
                        }
                    }
                }
                last = produced;
                progress.set_position(self.src.len() as u64);
            }
            // Fill final batches into finished lots.
            let mut n_fin = 0;
            for &b in &last {
                for _ in 0..self.rng.randint(SPLIT_MIN, SPLIT_MAX) {
                    let fday = self.day[b as usize] as i64 + self.rng.randint(1, 2) as i64;
                    let f = self.new_lot(KIND_FINISHED, fday);
                    self.edge(b, f);
                    finished_by_plant[plant].push(f);
                    self.finished_ids.push(f);
                    plant_of_finished.push(plant as u32);
                    n_fin += 1;
                }
            }
            self.line_info.push(LineInfo {
                line,
                plant: plant_name(plant),
                tiers,
                raw_lots: n_raw,
                finished_lots: n_fin,
            });
        }
        // Packaging lots, shared by the finished lots of every line of a plant.
        for (p, fins) in finished_by_plant.iter_mut().enumerate() {
            fins.sort_by_key(|&f| self.day[f as usize]);
            let mut slots: Vec<u32> = Vec::with_capacity(fins.len() + PACK_SPLIT_MAX as usize);
            while slots.len() < fins.len() {
                let d =
                    self.day[fins[slots.len()] as usize] as i64 - self.rng.randint(1, 10) as i64;
                let lot = self.new_lot(KIND_RAW, d);
                self.raw_ids.push(lot);
                let sup = self.rng.below(n_suppliers as u64) as u32;
                self.shipped.push(Shipment {
                    lot,
                    from: SITE_SUPPLIER | sup,
                    to: SITE_PLANT | p as u32,
                    day: d as i32,
                });
                for _ in 0..self.rng.randint(PACK_SPLIT_MIN, PACK_SPLIT_MAX) {
                    slots.push(lot);
                }
            }
            for (&f, &lot) in fins.iter().zip(&slots) {
                self.edge(lot, f);
            }
        }
        // Distribution: finished lot -> 1..3 DCs -> 1..8 customers each.
        // Customer c belongs to DC c % n_dcs.
        let n_customers = self.n_customers;
        for (idx, &plant) in plant_of_finished.iter().enumerate() {
            let f = self.finished_ids[idx];
            let d0 = self.day[f as usize] as i64 + self.rng.randint(1, 5) as i64;
            let k_dcs = self.rng.randint(1, 3.min(n_dcs as u64)) as usize;
            for di in self.rng.sample(n_dcs, k_dcs) {
                self.shipped.push(Shipment {
                    lot: f,
                    from: SITE_PLANT | plant,
                    to: SITE_DC | di as u32,
                    day: d0 as i32,
                });
                let n_custs = (n_customers - di).div_ceil(n_dcs);
                let k = (self.rng.randint(1, 8) as usize).min(n_custs);
                for j in self.rng.sample(n_custs, k) {
                    let c = di + j * n_dcs;
                    let day = d0 + self.rng.randint(1, 10) as i64;
                    self.shipped.push(Shipment {
                        lot: f,
                        from: SITE_DC | di as u32,
                        to: SITE_CUSTOMER | c as u32,
                        day: day as i32,
                    });
                }
            }
        }
        progress.set_position(self.src.len() as u64);
    }

    /// Picks the raw lot with the largest downstream and the finished lot with
    /// the largest ancestry among sampled candidates, with their Q2/Q3 answers.
    fn pick_anchors(&mut self) -> Anchor {
        let mut rng = Rng::new(self.rng.next_u64());
        let n_nodes = self.kind.len();
        let fwd = Csr::new(
            n_nodes,
            self.src.iter().copied().zip(self.dst.iter().copied()),
        );
        let bwd = Csr::new(
            n_nodes,
            self.dst.iter().copied().zip(self.src.iter().copied()),
        );
        let mut bfs = Bfs::new(n_nodes);
        // Candidates: raw lots with the most direct consumers, plus a random sample.
        let mut by_deg = self.raw_ids.clone();
        let key = |r: &u32| (std::cmp::Reverse(fwd.degree(*r)), *r);
        if by_deg.len() > 50 {
            by_deg.select_nth_unstable_by_key(50, key);
            by_deg.truncate(50);
        }
        let raws = &self.raw_ids;
        let mut cands: Vec<u32> = by_deg;
        cands.extend(rng.sample(raws.len(), 150).into_iter().map(|idx| raws[idx]));
        cands.sort_unstable();
        cands.dedup();
        let best_raw = best_by_reach(&mut bfs, &fwd, &cands);
        let fins = &self.finished_ids;
        let mut fcands: Vec<u32> = rng
            .sample(fins.len(), 200)
            .into_iter()
            .map(|idx| fins[idx])
            .collect();
        fcands.sort_unstable();
        let best_fin = best_by_reach(&mut bfs, &bwd, &fcands);
        // Reference answers.
        let legs = Csr::new(
            n_nodes,
            self.shipped
                .iter()
                .enumerate()
                .map(|(idx, s)| (s.lot, idx as u32)),
        );
        let down = bfs.reach(&fwd, best_raw).to_vec();
        let mut customers: FxHashSet<u32> = FxHashSet::default();
        for &lot in &down {
            let lot_legs = legs.neighbours(lot);
            for &leg in lot_legs {
                let leg = &self.shipped[leg as usize];
                if lot_legs
                    .iter()
                    .any(|&other| self.shipped[other as usize].to == leg.from)
                {
                    customers.insert(leg.to);
                }
            }
        }
        let up = bfs.reach(&bwd, best_fin).to_vec();
        let raw_ancestors = up.iter().filter(|&&x| bwd.degree(x) == 0).count();
        let mut suppliers: FxHashSet<u32> = FxHashSet::default();
        for &x in &up {
            for &leg in legs.neighbours(x) {
                suppliers.insert(self.shipped[leg as usize].from);
            }
        }
        Anchor {
            raw: best_raw,
            finished: best_fin,
            answers: Some(Answers {
                q2_affected_lots: down.len(),
                q2_exposed_customers: customers.len(),
                q3_ancestors: up.len(),
                q3_raw_ancestors: raw_ancestors,
                q3_suppliers: suppliers.len(),
            }),
        }
    }

    fn push_lot(&self, out: &mut Vec<u8>, lot: u32) {
        let kind = self.kind[lot as usize];
        match kind {
            KIND_RAW => out.push(b'R'),
            KIND_FINISHED => out.push(b'F'),
            tier => {
                out.push(b'B');
                out.push(b'0' + tier);
                out.push(b'-');
            }
        }
        push_padded(out, self.number[lot as usize] as u64, 6);
    }

    fn write(&self, dir: &Path, anchor: &Anchor) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let open = |name: &str| -> std::io::Result<std::io::BufWriter<std::fs::File>> {
            Ok(std::io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(dir.join(name))?,
            ))
        };
        let mut line: Vec<u8> = Vec::with_capacity(64);
        let mut out = open("consumed.facts")?;
        for (&a, &b) in self.src.iter().zip(&self.dst) {
            line.clear();
            self.push_lot(&mut line, a);
            line.push(b'\t');
            self.push_lot(&mut line, b);
            line.push(b'\n');
            out.write_all(&line)?;
        }
        out.flush()?;
        let mut out = open("shipped.facts")?;
        for s in &self.shipped {
            line.clear();
            self.push_lot(&mut line, s.lot);
            line.push(b'\t');
            push_site(&mut line, s.from);
            line.push(b'\t');
            push_site(&mut line, s.to);
            line.push(b'\t');
            push_signed(&mut line, s.day as i64);
            line.push(b'\n');
            out.write_all(&line)?;
        }
        out.flush()?;
        let mut out = open("equipment_run.facts")?;
        for &(b, eq, day) in &self.equip {
            line.clear();
            self.push_lot(&mut line, b);
            line.extend_from_slice(b"\tEQ");
            push_padded(&mut line, eq as u64, 5);
            line.push(b'\t');
            push_signed(&mut line, day as i64);
            line.push(b'\n');
            out.write_all(&line)?;
        }
        out.flush()?;
        for (name, lot) in [
            ("trace_raw.facts", anchor.raw),
            ("trace_finished.facts", anchor.finished),
        ] {
            line.clear();
            self.push_lot(&mut line, lot);
            line.push(b'\n');
            let mut out = open(name)?;
            out.write_all(&line)?;
            out.flush()?;
        }
        Ok(())
    }
}

fn plant_name(plant: usize) -> String {
    format!("PLANT{:02}", plant + 1)
}

fn push_site(out: &mut Vec<u8>, site: u32) {
    let idx = (site & SITE_INDEX) as u64 + 1;
    match site & !SITE_INDEX {
        SITE_SUPPLIER => {
            out.extend_from_slice(b"SUP");
            push_padded(out, idx, 5);
        }
        SITE_PLANT => {
            out.extend_from_slice(b"PLANT");
            push_padded(out, idx, 2);
        }
        SITE_DC => {
            out.extend_from_slice(b"DC");
            push_padded(out, idx, 4);
        }
        _ => {
            out.extend_from_slice(b"CUS");
            push_padded(out, idx, 7);
        }
    }
}

/// Appends `value` in decimal, zero-padded to at least `width` digits (`%06d`).
fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut n = value;
    let mut idx = digits.len();
    loop {
        idx -= 1;
        digits[idx] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in digits.len() - idx..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits[idx..]);
}

fn push_signed(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    push_padded(out, value.unsigned_abs(), 1);
}

/// Adjacency lists in compressed sparse row form.
struct Csr {
    starts: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    fn new(n_nodes: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> Csr {
        let mut starts = vec![0u32; n_nodes + 1];
        for (from, _) in edges.clone() {
            starts[from as usize + 1] += 1;
        }
        for idx in 0..n_nodes {
            starts[idx + 1] += starts[idx];
        }
        let mut fill = starts.clone();
        let mut targets = vec![0u32; starts[n_nodes] as usize];
        for (from, to) in edges {
            targets[fill[from as usize] as usize] = to;
            fill[from as usize] += 1;
        }
        Csr { starts, targets }
    }

    fn neighbours(&self, node: u32) -> &[u32] {
        &self.targets[self.starts[node as usize] as usize..self.starts[node as usize + 1] as usize]
    }

    fn degree(&self, node: u32) -> usize {
        self.neighbours(node).len()
    }
}

/// Breadth-first search with a reusable visited stamp per node.
struct Bfs {
    stamp: Vec<u32>,
    epoch: u32,
    queue: Vec<u32>,
}

impl Bfs {
    fn new(n_nodes: usize) -> Bfs {
        Bfs {
            stamp: vec![0; n_nodes],
            epoch: 0,
            queue: Vec::new(),
        }
    }

    /// The nodes reachable from `start` (without it), in BFS order.
    fn reach(&mut self, adj: &Csr, start: u32) -> &[u32] {
        self.epoch += 1;
        self.queue.clear();
        self.stamp[start as usize] = self.epoch;
        self.queue.push(start);
        let mut head = 0;
        while head < self.queue.len() {
            let x = self.queue[head];
            head += 1;
            for &y in adj.neighbours(x) {
                if self.stamp[y as usize] != self.epoch {
                    self.stamp[y as usize] = self.epoch;
                    self.queue.push(y);
                }
            }
        }
        &self.queue[1..]
    }
}

/// The first candidate with the most reachable nodes.
fn best_by_reach(bfs: &mut Bfs, adj: &Csr, cands: &[u32]) -> u32 {
    let mut best = (cands[0], 0);
    for (idx, &c) in cands.iter().enumerate() {
        let n = bfs.reach(adj, c).len();
        if idx == 0 || n > best.1 {
            best = (c, n);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_numbers_match_printf() {
        let mut out = Vec::new();
        push_padded(&mut out, 42, 6);
        out.push(b' ');
        push_padded(&mut out, 1234567, 6);
        out.push(b' ');
        push_signed(&mut out, -7);
        out.push(b' ');
        push_signed(&mut out, 0);
        assert_eq!(String::from_utf8(out).unwrap(), "000042 1234567 -7 0");
    }

    #[test]
    fn sample_gives_distinct_indices_in_range() {
        let mut rng = Rng::new(1);
        for (n, k) in [(10, 3), (4, 4), (1000, 8), (3, 5)] {
            let picked = rng.sample(n, k);
            assert_eq!(picked.len(), k.min(n));
            let mut sorted = picked.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), picked.len());
            assert!(picked.iter().all(|&x| x < n));
        }
    }

    #[test]
    fn expected_edges_match_the_python_model() {
        // gen_supply_chain.py's expected_edges_per_raw(t) is 5.0 for t in 3..=6.
        for tiers in 3..=6 {
            assert!(
                (expected_edges_per_raw(tiers) - 5.0).abs() < 1e-9,
                "{tiers}"
            );
        }
        assert!((expected_edges_per_raw(1) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn generated_files_agree_with_meta() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            target_edges: 5000,
            seed: 7,
            anchors: true,
        };
        let meta = supply_chain(&config, dir.path(), &ProgressBar::hidden()).unwrap();
        let lines = |name: &str| {
            std::fs::read_to_string(dir.path().join(name))
                .unwrap()
                .lines()
                .count()
        };
        assert_eq!(lines("consumed.facts"), meta.consumed);
        assert_eq!(lines("shipped.facts"), meta.shipped);
        assert_eq!(lines("equipment_run.facts"), meta.equipment_run);
        // Within a few percent of the target, as the Python generator promises.
        assert!((4000..6000).contains(&meta.consumed), "{}", meta.consumed);
        assert_eq!(meta.lots, meta.raw_lots + meta.finished_lots + meta.batches);
        let trace_raw = std::fs::read_to_string(dir.path().join("trace_raw.facts")).unwrap();
        assert_eq!(trace_raw.trim_end(), meta.trace_raw);
        assert!(meta.trace_raw.starts_with('R') && meta.trace_finished.starts_with('F'));
        assert!(meta.q2_affected_lots.unwrap() > 0 && meta.q3_ancestors.unwrap() > 0);
        // Every lot of consumed.facts is named like the Python's lots.
        let consumed = std::fs::read_to_string(dir.path().join("consumed.facts")).unwrap();
        for line in consumed.lines().take(100) {
            let (a, b) = line.split_once('\t').unwrap();
            for name in [a, b] {
                let digits = match name.as_bytes() {
                    [b'R' | b'F', ..] => &name[1..],
                    [b'B', b'1'..=b'6', b'-', ..] => &name[3..],
                    _ => panic!("unexpected lot name {name}"),
                };
                assert!(
                    digits.len() >= 6 && digits.bytes().all(|b| b.is_ascii_digit()),
                    "{name}"
                );
            }
        }
        let meta_json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("meta.json")).unwrap())
                .unwrap();
        assert_eq!(meta_json["consumed"], meta.consumed);
        assert_eq!(meta_json["q3_suppliers"], meta.q3_suppliers.unwrap());
        // The same seed gives the same files.
        let again = tempfile::tempdir().unwrap();
        supply_chain(&config, again.path(), &ProgressBar::hidden()).unwrap();
        assert_eq!(
            consumed,
            std::fs::read_to_string(again.path().join("consumed.facts")).unwrap()
        );
    }
}
