//! The few distributions the simulation and the demo history draw from, on a seeded
//! generator so that the same seed gives the same run.

use rand::Rng;

/// Log-normal around `median`: `spread` is the standard deviation of its logarithm.
pub fn log_normal(rng: &mut impl Rng, median: f64, spread: f64) -> f64 {
    // Box–Muller: one standard normal from two uniforms.
    let (u1, u2): (f64, f64) = (rng.random_range(1e-9..1.0), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    median * (spread * z).exp()
}

/// A Poisson count with mean `rate`: Knuth's product of uniforms, in chunks so that large
/// rates do not underflow.
pub fn poisson(rng: &mut impl Rng, rate: f64) -> u64 {
    let mut total = 0;
    let mut left = rate.max(0.0);
    while left > 0.0 {
        let chunk = left.min(30.0);
        left -= chunk;
        let limit = (-chunk).exp();
        let mut product: f64 = rng.random();
        while product > limit {
            total += 1;
            product *= rng.random::<f64>();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn the_draws_centre_where_they_should() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut draws: Vec<f64> = (0..20_000)
            .map(|_| log_normal(&mut rng, 90.0, 0.6))
            .collect();
        draws.sort_by(f64::total_cmp);
        let median = draws[draws.len() / 2];
        assert!((85.0..95.0).contains(&median), "{median}");
        let counts: Vec<u64> = (0..5_000).map(|_| poisson(&mut rng, 40.0)).collect();
        let mean = counts.iter().sum::<u64>() as f64 / counts.len() as f64;
        assert!((39.0..41.0).contains(&mean), "{mean}");
    }
}
