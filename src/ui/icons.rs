//! The tray and window icons, drawn at start-up from a few shapes (no image files to decode).
//!
//! One icon per state a user must tell apart at a glance in the tray: green microphone (live),
//! red crossed-out microphone (muted for a hold), purple crossed-out microphone (muted by hand),
//! grey pause bars (paused) and an amber exclamation mark (a problem needs attention).

/// What the tray icon shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Look {
    Live,
    MutedHold,
    MutedManual,
    Paused,
    Problem,
}

impl Look {
    pub const ALL: [Look; 5] = [
        Look::Live,
        Look::MutedHold,
        Look::MutedManual,
        Look::Paused,
        Look::Problem,
    ];

    /// The disc colour (also used for the window's banner).
    pub fn color(self) -> [u8; 3] {
        match self {
            Look::Live => [0x2e, 0x9e, 0x4f],
            Look::MutedHold => [0xc6, 0x28, 0x28],
            Look::MutedManual => [0x7b, 0x3f, 0xb5],
            Look::Paused => [0x75, 0x75, 0x75],
            Look::Problem => [0xe6, 0x9b, 0x00],
        }
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn segment(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (px, py) = (p.0 - a.0, p.1 - a.1);
    let (bx, by) = (b.0 - a.0, b.1 - a.1);
    let h = ((px * bx + py * by) / (bx * bx + by * by)).clamp(0.0, 1.0);
    ((px - bx * h).powi(2) + (py - by * h).powi(2)).sqrt()
}

/// Signed distance (in units of the icon's size) to the white glyph of `look`; negative inside.
fn glyph(look: Look, x: f32, y: f32) -> f32 {
    let p = (x, y);
    match look {
        Look::Live | Look::MutedHold | Look::MutedManual => {
            // Microphone: a capsule head, a cradle arc under it, a stem and a foot.
            let head = segment(p, (0.5, 0.30), (0.5, 0.47)) - 0.09;
            let r = ((x - 0.5).powi(2) + (y - 0.47).powi(2)).sqrt();
            let cradle = if y >= 0.47 {
                (r - 0.16).abs() - 0.025
            } else {
                f32::MAX
            };
            let stem = segment(p, (0.5, 0.63), (0.5, 0.72)) - 0.025;
            let foot = segment(p, (0.42, 0.73), (0.58, 0.73)) - 0.025;
            let mic = head.min(cradle).min(stem).min(foot);
            if look == Look::Live {
                mic
            } else {
                // Cross it out, with a gap of disc colour around the bar so it reads small.
                let bar = segment(p, (0.27, 0.25), (0.73, 0.77)) - 0.03;
                mic.max(-(bar - 0.04)).min(bar)
            }
        }
        Look::Paused => {
            let l = segment(p, (0.41, 0.32), (0.41, 0.68)) - 0.05;
            let r = segment(p, (0.59, 0.32), (0.59, 0.68)) - 0.05;
            l.min(r)
        }
        Look::Problem => {
            let bar = segment(p, (0.5, 0.26), (0.5, 0.56)) - 0.055;
            let dot = ((x - 0.5).powi(2) + (y - 0.72).powi(2)).sqrt() - 0.065;
            bar.min(dot)
        }
    }
}

/// The icon of `look` as `size`×`size` RGBA pixels (straight alpha), anti-aliased.
pub fn rgba(look: Look, size: u32) -> Vec<u8> {
    let n = size as f32;
    let [cr, cg, cb] = look.color();
    let mut out = Vec::with_capacity((size * size * 4) as usize);
    for j in 0..size {
        for i in 0..size {
            let (x, y) = ((i as f32 + 0.5) / n, (j as f32 + 0.5) / n);
            // Coverage from signed distance, one pixel wide.
            let cover = |d: f32| (0.5 - d * n).clamp(0.0, 1.0);
            let disc = cover(((x - 0.5).powi(2) + (y - 0.5).powi(2)).sqrt() - 0.48);
            let white = cover(glyph(look, x, y)) * disc;
            let mix = |c: u8| (c as f32 * (1.0 - white) + 255.0 * white).round() as u8;
            out.extend_from_slice(&[mix(cr), mix(cg), mix(cb), (disc * 255.0).round() as u8]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_look_is_distinct_and_round() {
        let icons: Vec<Vec<u8>> = Look::ALL.iter().map(|&l| rgba(l, 32)).collect();
        for (a, ia) in icons.iter().enumerate() {
            assert_eq!(ia.len(), 32 * 32 * 4);
            // Corners transparent, centre opaque.
            assert_eq!(ia[3], 0);
            assert_eq!(ia[(16 * 32 + 16) * 4 + 3], 255);
            // Some white glyph on every icon.
            let white = ia
                .chunks(4)
                .filter(|p| p[0] > 240 && p[1] > 240 && p[2] > 240)
                .count();
            assert!(white > 30, "{:?} has {white} white pixels", Look::ALL[a]);
            for ib in &icons[a + 1..] {
                let differ = ia
                    .chunks(4)
                    .zip(ib.chunks(4))
                    .filter(|(p, q)| p != q)
                    .count();
                assert!(differ > 100);
            }
        }
    }

    #[test]
    fn muted_icons_are_crossed_out() {
        // The crossing bar passes through (0.35, 0.34): white there only on the muted icons.
        let at = |l: Look| rgba(l, 64)[((0.34 * 64.0) as usize * 64 + (0.35 * 64.0) as usize) * 4];
        assert!(at(Look::MutedHold) > 240 && at(Look::MutedManual) > 240);
        assert!(at(Look::Live) < 100);
    }
}
