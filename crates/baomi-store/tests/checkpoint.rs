//! Signed checkpoints (DOMAIN R13.2): key files and signatures. The end-to-end tampering tests
//! drive the `baomi audit` binary (crates/baomi-cli/tests/audit.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::audit::{Checkpoint, Digest, HashAlgorithm};
use baomi_store::checkpoint::{
    load_verifying_key, public_path, signature_is_valid, KeyError, SigningKeyFile,
};
use jiff::Timestamp;

fn checkpoint() -> Checkpoint {
    Checkpoint {
        algorithm: HashAlgorithm::Sha256,
        seq: 42,
        head_hash: Digest([7; 32]),
        at: Timestamp::from_second(1_750_000_000).unwrap(),
    }
}

#[test]
fn r13_2_signature_covers_every_checkpoint_field() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKeyFile::generate(&dir.path().join("k")).unwrap();
    let public = load_verifying_key(&public_path(&dir.path().join("k"))).unwrap();
    assert_eq!(public, key.verifying_key());
    let cp = checkpoint();
    let sig = key.sign(&cp);
    assert!(signature_is_valid(&public, &cp, &sig));
    for changed in [
        Checkpoint { seq: 41, ..cp },
        Checkpoint {
            head_hash: Digest([8; 32]),
            ..cp
        },
        Checkpoint {
            algorithm: HashAlgorithm::Sm3,
            ..cp
        },
        Checkpoint {
            at: Timestamp::from_second(1_750_000_001).unwrap(),
            ..cp
        },
    ] {
        assert!(!signature_is_valid(&public, &changed, &sig), "{changed:?}");
    }
    assert!(!signature_is_valid(&public, &cp, &sig[..63]));
    let mut flipped = sig.clone();
    flipped[0] ^= 1;
    assert!(!signature_is_valid(&public, &cp, &flipped));
}

#[test]
fn r13_2_key_file_round_trips_and_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    let key = SigningKeyFile::generate(&path).unwrap();
    let loaded = SigningKeyFile::load(&path).unwrap();
    assert_eq!(loaded.verifying_key(), key.verifying_key());
    assert_eq!(load_verifying_key(&path).unwrap(), key.verifying_key());
    assert!(matches!(
        SigningKeyFile::generate(&path),
        Err(KeyError::Io { .. })
    ));
    // Debug never shows the secret.
    let secret_hex = std::fs::read_to_string(&path).unwrap();
    let secret_line = secret_hex.lines().nth(1).unwrap();
    assert!(!format!("{loaded:?}").contains(secret_line));
}

#[cfg(unix)]
#[test]
fn r13_2_key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    SigningKeyFile::generate(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = SigningKeyFile::load(&path).unwrap_err();
    assert!(
        matches!(err, KeyError::TooOpen { mode: 0o640, .. }),
        "{err}"
    );
    assert_eq!(err.rule().0, "R13.2");
}

#[test]
fn r13_2_malformed_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pub");
    std::fs::write(&path, "not a key\n").unwrap();
    assert!(matches!(
        load_verifying_key(&path),
        Err(KeyError::Malformed { .. })
    ));
    std::fs::write(&path, "ab".repeat(31)).unwrap();
    assert!(matches!(
        load_verifying_key(&path),
        Err(KeyError::Malformed { .. })
    ));
}
