//! Single-thread parsing speed of the CSV path on a file already in memory (no I/O, no
//! threads): the number to watch when tuning the parser.
//!
//! ```sh
//! cargo run --release --example parse_speed -- bench/data/eval-10m.csv store_id
//! ```

use evaluate_model_metrics::csv::CsvTallier;
use evaluate_model_metrics::rows::Columns;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), segment) = (args.next(), args.next()) else {
        eprintln!("usage: parse_speed FILE.csv [SEGMENT_COLUMN]");
        std::process::exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            std::process::exit(2);
        }
    };
    let columns = Columns {
        actual: "actual".into(),
        predicted: Some("prediction".into()),
        segments: segment.into_iter().collect(),
        ..Columns::default()
    };
    for _ in 0..3 {
        let started = Instant::now();
        let mut parser = CsvTallier::new(format!("file://{path}"), columns.clone());
        let result = parser.feed(&data).and_then(|()| parser.finish());
        let elapsed = started.elapsed();
        match result {
            Ok(tally) => {
                let rows = tally.overall().rows();
                println!(
                    "{rows} rows in {:.3} s: {:.1} ns/row, {:.0} MB/s, mape {:?}",
                    elapsed.as_secs_f64(),
                    elapsed.as_secs_f64() * 1e9 / rows as f64,
                    data.len() as f64 / elapsed.as_secs_f64() / 1e6,
                    tally.overall().metrics().and_then(|m| m.mape)
                );
            }
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(1);
            }
        }
    }
}
