//! Fault knobs: what the simulated cloud does wrong on purpose, set at start (`--faults`) or
//! while running (a `faults ...` control command).

use rand::Rng;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Probability that a data block is not sent.
    pub drop: f64,
    /// Probability that a data block is sent twice.
    pub duplicate: f64,
    /// Send the blocks of one GetStream answer in shuffled order.
    pub reorder: bool,
    /// Hold every data block back this long.
    pub delay_ms: u64,
    /// Probability that one payload byte of a data block is flipped.
    pub corrupt: f64,
    /// Cancel the job `.0` once `.1` blocks of it have been sent (over MQTT and HTTP).
    pub cancel_after: Option<(String, u64)>,
    /// Lifetime of a pre-signed-style URL, seconds.
    pub url_ttl_s: u64,
    /// Hold every HTTP answer back this long.
    pub http_delay_ms: u64,
}

impl Faults {
    pub fn none() -> Self {
        Faults {
            url_ttl_s: 3600,
            ..Default::default()
        }
    }

    /// Applies `key=value,key=value` on top of the current knobs.
    pub fn apply(&mut self, spec: &str) -> Result<(), String> {
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("fault {item:?} must be key=value."))?;
            let prob = || -> Result<f64, String> {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| format!("fault {key} needs a probability 0-1, not {value:?}."))
            };
            let num = || -> Result<u64, String> {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("fault {key} needs a whole number, not {value:?}."))
            };
            match key {
                "drop" => self.drop = prob()?,
                "duplicate" => self.duplicate = prob()?,
                "corrupt" => self.corrupt = prob()?,
                "reorder" => self.reorder = num()? != 0,
                "delay_ms" => self.delay_ms = num()?.min(60_000),
                "http_delay_ms" => self.http_delay_ms = num()?.min(60_000),
                "url_ttl" => self.url_ttl_s = num()?.max(1),
                "cancel_after" => {
                    let (job, n) = value.split_once(':').ok_or_else(|| {
                        "fault cancel_after needs JOBID:BLOCKS, e.g. cancel_after=job-1:20.".to_string()
                    })?;
                    let n = n
                        .parse()
                        .map_err(|_| format!("fault cancel_after: {n:?} is not a number."))?;
                    self.cancel_after = Some((job.to_string(), n));
                }
                _ => return Err(format!("unknown fault {key:?} (drop, duplicate, reorder, delay_ms, corrupt, cancel_after, url_ttl, http_delay_ms).")),
            }
        }
        Ok(())
    }

    pub fn chance(p: f64) -> bool {
        p > 0.0 && rand::thread_rng().gen_bool(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_parse_and_bad_ones_are_refused() {
        let mut f = Faults::none();
        f.apply("drop=0.2,reorder=1,cancel_after=j-1:5,url_ttl=3")
            .unwrap();
        assert_eq!(f.drop, 0.2);
        assert!(f.reorder);
        assert_eq!(f.cancel_after, Some(("j-1".into(), 5)));
        assert_eq!(f.url_ttl_s, 3);
        assert!(f.apply("drop=2").is_err());
        assert!(f.apply("nonsense=1").is_err());
        assert!(f.apply("drop").is_err());
    }
}
