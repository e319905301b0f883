//! A fixed-size log-linear latency histogram in microseconds (about 1.6% precision); no allocation per sample.

use serde_json::{Value, json};

const LINEAR: usize = 128;
const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = LINEAR + (64 - 7) * SUB;

/// Counts of latencies; merge per-task histograms with [`Histogram::merge`].
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], total: 0, max: 0, sum: 0 }
    }
}

fn index(v: u64) -> usize {
    if v < LINEAR as u64 {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 7
    let mantissa = ((v >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    LINEAR + (exp as usize - 7) * SUB + mantissa
}

fn lower_bound(i: usize) -> u64 {
    if i < LINEAR {
        return i as u64;
    }
    let exp = (i - LINEAR) / SUB + 7;
    let mantissa = ((i - LINEAR) % SUB) as u64;
    (SUB as u64 + mantissa) << (exp as u32 - SUB_BITS)
}

impl Histogram {
    /// Records one latency in microseconds.
    pub fn record(&mut self, micros: u64) {
        self.counts[index(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
        self.sum += u128::from(micros);
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The value at quantile `q` (0..=1), as the lower bound of its bucket; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        if rank >= self.total {
            return self.max;
        }
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return lower_bound(i).min(self.max);
            }
        }
        self.max
    }

    /// Summary in milliseconds: count, mean, p50, p90, p99, p999, max.
    pub fn summary_ms(&self) -> Value {
        let ms = |us: u64| (us as f64 / 1000.0 * 1000.0).round() / 1000.0;
        let mean = if self.total == 0 { 0.0 } else { self.sum as f64 / self.total as f64 };
        json!({
            "count": self.total,
            "mean_ms": ms(mean.round() as u64),
            "p50_ms": ms(self.quantile(0.50)),
            "p90_ms": ms(self.quantile(0.90)),
            "p99_ms": ms(self.quantile(0.99)),
            "p999_ms": ms(self.quantile(0.999)),
            "max_ms": ms(self.max),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_within_precision() {
        for v in [0u64, 1, 127, 128, 129, 1000, 4096, 65_535, 1_000_000, 123_456_789] {
            let lb = lower_bound(index(v));
            assert!(lb <= v, "{v}: {lb}");
            assert!((v - lb) as f64 <= v as f64 / 64.0 + 1.0, "{v}: {lb}");
        }
        assert!(index(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles_of_uniform_samples() {
        let mut h = Histogram::default();
        for v in 1..=1000 {
            h.record(v);
        }
        assert_eq!(h.len(), 1000);
        assert_eq!(h.quantile(0.0), 1);
        let p50 = h.quantile(0.5);
        assert!((490..=500).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99);
        assert!((975..=990).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), 1000);
        let mut other = Histogram::default();
        other.record(5000);
        h.merge(&other);
        assert_eq!(h.len(), 1001);
        assert_eq!(h.quantile(1.0), 5000);
    }
}
