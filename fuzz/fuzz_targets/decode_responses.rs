//! Arbitrary bytes as the body of every response type of every client: decoding
//! must return `Ok` or `Err`, never panic, overflow the stack or run away.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    marketplace_lectronz::replay::decode_every_response(body);
});
