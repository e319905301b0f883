//! Inputs found by fuzzing (`fuzz/`, see RELIABILITY.md) that once broke a guarantee of the
//! codec, kept as plain tests.

use chanx::serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "chanx::serde")]
struct Payload {
    sent_at: f64,
}

/// `frame` target / `prop_frames`: `{"action":"chat","payload":{"text":"¡","sent_at":9.898211445788197e-285}}`
/// decoded to a different `f64` after one encode: serde_json's default float parser is not
/// correctly rounded, so the shortest text that `encode` writes could read back one ulp off.
/// The runtime enables `float_roundtrip`; every finite `f64` must survive encode → decode.
#[test]
fn floats_survive_an_encode_decode_round_trip() {
    for sent_at in
        [9.898211445788197e-285, 1.940893986113596e82, 0.1, -0.0, 5e-324, f64::MAX, f64::MIN_POSITIVE]
    {
        let text = chanx::serde_json::to_string(&Payload { sent_at }).expect("encode");
        let back: Payload = chanx::serde_json::from_str(&text).expect("decode");
        assert_eq!(back.sent_at.to_bits(), sent_at.to_bits(), "{text}");
    }
}
