//! Business-clock deadlines per second on random calendars and opening
//! instants spread over two years (2026-2027).
//!
//! `cargo bench --bench sla`; figures and how to read them: docs/performance.md.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc, Weekday};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use priority_line::domain::calendar::{Calendar, WeekHours};
use priority_line::domain::sla::{Clock, ResponseTarget};

const ZONES: &[&str] = &[
    "Europe/Madrid",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Europe/London",
    "America/Los_Angeles",
];

/// A small deterministic generator (xorshift64*), so every run measures the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random office-like calendars: one or two intervals on weekdays, sometimes
/// Saturday, and a dozen holidays a year.
fn random_calendar(rng: &mut Rng) -> Calendar {
    let mut hours = WeekHours::default();
    for day in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat] {
        if day == Weekday::Sat && rng.below(3) != 0 {
            continue;
        }
        let start = 6 + rng.below(4);
        let intervals = if rng.below(2) == 0 {
            vec![format!("{start:02}:00-{:02}:30", start + 8 + rng.below(3))]
        } else {
            vec![format!("{start:02}:00-13:00"), format!("14:{:02}-{:02}:00", rng.below(60), 17 + rng.below(4))]
        };
        hours.set(day, intervals.iter().map(|s| s.parse().unwrap()).collect()).unwrap();
    }
    let holidays: Vec<chrono::NaiveDate> = (0..24)
        .map(|_| {
            let day = rng.below(730);
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(day)
        })
        .collect();
    let zone = ZONES[rng.below(ZONES.len() as u64) as usize].parse().unwrap();
    Calendar::new(zone, hours, holidays)
}

fn random_instants(rng: &mut Rng, n: usize) -> Vec<DateTime<Utc>> {
    let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().timestamp();
    (0..n).map(|_| DateTime::from_timestamp(start + rng.below(2 * 365 * 86_400) as i64, 0).unwrap()).collect()
}

fn deadlines(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let calendars: Vec<Calendar> = (0..64).map(|_| random_calendar(&mut rng)).collect();
    let targets =
        [ResponseTarget::parse("6h", Clock::Business).unwrap(), ResponseTarget::parse("8h", Clock::Business).unwrap()];
    const N: usize = 100_000;
    let instants = random_instants(&mut rng, N);
    let picks: Vec<(usize, usize)> =
        (0..N).map(|_| (rng.below(calendars.len() as u64) as usize, rng.below(2) as usize)).collect();

    // Warm every calendar's compiled years once: the steady state of a running bot.
    for (t, (cal, target)) in instants.iter().zip(&picks) {
        targets[*target].due(&calendars[*cal], *t).unwrap();
    }

    let mut group = c.benchmark_group("business_deadline");
    group.throughput(Throughput::Elements(N as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("warm_100k_random", |b| {
        b.iter(|| {
            for (t, (cal, target)) in instants.iter().zip(&picks) {
                black_box(targets[*target].due(&calendars[*cal], black_box(*t)).unwrap());
            }
        })
    });
    group.finish();

    // The one-off cost: a fresh calendar compiling the years it is asked about.
    let mut group = c.benchmark_group("calendar_compile");
    group.throughput(Throughput::Elements(1));
    group.bench_function("first_deadline_on_a_fresh_calendar", |b| {
        b.iter_batched(
            || random_calendar(&mut rng),
            |cal| black_box(targets[0].due(&cal, instants[0]).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, deadlines);
criterion_main!(benches);
