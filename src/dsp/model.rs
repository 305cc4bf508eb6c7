//! Classifier weights, written by `holdguard train ../shared/corpus/dev` — do not edit by hand.
//!
//! 167028 hops from 16 calls; final class-balanced log loss 0.3870.
//! Inputs, in order: level_db, snr_db, flatness, flux, peak_age, tonal_share, l_level_std, l_low_energy, l_mod4, l_flatness, l_flux_std, l_peak_age, l_centroid_std, s_flux, s_peak_age, s_level_std.
//! Classes, in order: silence, tone, music, speech, speech over music.

use super::classifier::N_CLASSES;
use super::features::N_FEATURES;

/// Mean of each input over the training hops.
pub const MEAN: [f32; N_FEATURES] = [0.3138, 1.4650, 0.8529, 0.9114, 0.2492, 0.6204, 0.8011, 0.4238, 1.2073, 0.9437, 0.9621, 0.2447, 0.5546, 0.9067, 0.2482, 0.5040];
/// Standard deviation of each input over the training hops.
pub const SCALE: [f32; N_FEATURES] = [1.1982, 1.3262, 1.0420, 0.8848, 0.4433, 0.7846, 0.7732, 0.5090, 0.7899, 0.7445, 0.7835, 0.2851, 0.4131, 0.6877, 0.3682, 0.5769];
/// One row per class: a weight per standardised input, then the bias.
pub const WEIGHTS: [[f32; N_FEATURES + 1]; N_CLASSES] = [
    [-1.5849, -0.6276, 1.7986, 0.0993, -0.2599, -0.4249, -0.2153, -0.1200, 0.1422, 1.2021, -0.7809, 0.2109, -0.5019, 0.5809, -0.4308, -0.0835, 0.1131],
    [0.2842, 2.1666, -1.8975, -0.5221, -0.1061, -0.2904, 0.7960, -0.4675, -0.4757, -1.1184, -0.7959, -0.9692, 0.1965, -3.7987, 0.8943, 0.4315, -2.4944],
    [0.8452, -0.3327, -0.3523, -0.1065, 0.2088, 0.0254, -0.2449, -1.4232, -0.4908, 0.7216, 0.0543, 0.3878, 0.5912, 0.4261, -0.2396, -0.8068, 2.0445],
    [0.2374, -0.2881, 0.3738, 0.2835, 0.1714, 0.2384, 1.2665, 0.7723, 0.5702, -0.3614, 0.5990, 0.4723, 0.1424, 1.3803, 0.0020, 0.4096, -0.4114],
    [0.3737, -1.1264, -0.0611, 0.2383, -0.0176, 0.4465, -1.6536, 1.2611, 0.2456, -0.5136, 0.9222, -0.1033, -0.4363, 1.5211, -0.2359, 0.0491, 0.5386],
];
