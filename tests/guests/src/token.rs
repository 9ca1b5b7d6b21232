//! `token`: an auth-token check shaped as a plugin's exported function, for the instance tests
//! and the `call` bench. A token is `PAYLOAD.SIGNATURE`, the signature the lowercase hex of
//! HMAC-SHA256(KEY, PAYLOAD); the host writes it into the guest's memory (at what `alloc`
//! gives) and calls `check`, which answers 1 for a valid token and 0 for any other bytes.

use hmac_sha256::hmac;

/// The key tokens are signed with (a test key: the host signs with it too).
const KEY: &[u8] = b"wasiport test key";

/// `len` bytes of the guest's memory for the host to write into; never freed (one buffer per
/// instance is all a host needs).
#[no_mangle]
pub extern "C" fn alloc(len: i32) -> i32 {
    let buffer = vec![0u8; len.max(0) as usize].into_boxed_slice();
    Box::leak(buffer).as_mut_ptr() as i32
}

/// 1 when the `len` bytes at `ptr` are a token signed with [`KEY`], else 0.
#[no_mangle]
pub extern "C" fn check(ptr: i32, len: i32) -> i32 {
    // SAFETY: the host wrote `len` bytes at `ptr`, which `alloc` handed out.
    let token = unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len.max(0) as usize) };
    valid(token) as i32
}

fn valid(token: &[u8]) -> bool {
    let Some(dot) = token.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let (payload, signature) = (&token[..dot], &token[dot + 1..]);
    let mac = hmac(KEY, payload);
    signature.len() == 64
        && mac.iter().zip(signature.chunks(2)).fold(true, |ok, (byte, hex)| {
            // Every byte is compared, whatever the first difference.
            ok & (hex_byte(hex) == Some(*byte))
        })
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    Some(digit(pair[0])? << 4 | digit(pair[1])?)
}

mod hmac_sha256 {
    //! HMAC (RFC 2104) over SHA-256, from the `sha2` crate's hash.
    use sha2::{Digest, Sha256};

    pub fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.map(|k| k ^ byte);
        let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }
}
