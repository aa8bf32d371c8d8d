//! Counters and gauges in the Prometheus text format (`GET /metrics`).

use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<&'static str, (&'static str, bool, f64)>>,
}

impl Metrics {
    /// Adds to a counter (created at zero with its help text).
    pub fn inc(&self, name: &'static str, help: &'static str, by: f64) {
        let mut v = self.values.lock().expect("not poisoned");
        v.entry(name).or_insert((help, true, 0.0)).2 += by;
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, help: &'static str, value: f64) {
        let mut v = self.values.lock().expect("not poisoned");
        v.insert(name, (help, false, value));
    }

    pub fn render(&self) -> String {
        let v = self.values.lock().expect("not poisoned");
        let mut out = String::new();
        for (name, (help, counter, value)) in v.iter() {
            let kind = if *counter { "counter" } else { "gauge" };
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        }
        out
    }
}
