//! Arbitrary bytes as the body of every response type of every client: decoding
//! must return `Ok` or `Err`, never panic, overflow the stack or run away.
#![no_main]

// `DECODERS`: every client's generated `decode_every_response` (build.rs).
include!(concat!(env!("OUT_DIR"), "/decoders.rs"));

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    for decode in DECODERS {
        decode(body);
    }
});
