//! Base64 and hashing for `States.Base64Encode`, `States.Base64Decode` and `States.Hash`.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The standard alphabet, padded output; decoding accepts missing padding and ignores the
/// unused low bits of the last character, as the engine always has.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Encodes `data` as standard, padded base64 (RFC 4648 section 4).
pub fn base64_encode(data: &[u8]) -> String {
    base64::Engine::encode(&BASE64, data)
}

/// Decodes standard base64 (padding required when the length is not a multiple of 4 is
/// tolerated); `None` for invalid input.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    base64::Engine::decode(&BASE64, s).ok()
}

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// Lower-case hex digest of `data` with one of AWS's algorithm names
/// (`MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`).
pub fn hash_hex(algorithm: &str, data: &[u8]) -> Option<String> {
    Some(match algorithm {
        "MD5" => hex(&Md5::digest(data)),
        "SHA-1" => hex(&Sha1::digest(data)),
        "SHA-256" => hex(&Sha256::digest(data)),
        "SHA-384" => hex(&Sha384::digest(data)),
        "SHA-512" => hex(&Sha512::digest(data)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        for n in 0..10 {
            let data: Vec<u8> = (0..n as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b""), "");
        assert!(base64_decode("a").is_none());
        assert!(base64_decode("a$==").is_none());
    }

    #[test]
    fn sha512_matches_the_aws_example() {
        assert_eq!(
            hash_hex("SHA-512", b"input data").unwrap(),
            "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"
        );
        assert!(hash_hex("SHA-3", b"x").is_none());
    }
}
