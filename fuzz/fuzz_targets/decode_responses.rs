//! Arbitrary bytes as the body of every response type of every client: decoding
//! must return `Ok` or `Err`, never panic, overflow the stack or run away.
#![no_main]

/// Every client's generated `replay::decode_every_response`, in the order of
/// `marketplace_conformance::marketplaces::MARKETPLACES` (kept out of this crate's
/// dependencies so the fuzz build stays small).
const DECODERS: [fn(&[u8]) -> usize; 7] = [
    marketplace_lectronz::replay::decode_every_response,
    marketplace_skyhub_sac::replay::decode_every_response,
    marketplace_yandex_market_chats::replay::decode_every_response,
    marketplace_metro_message_center::replay::decode_every_response,
    marketplace_metro_subscriptions::replay::decode_every_response,
    marketplace_metro_events::replay::decode_every_response,
    marketplace_yandex_market_notifications::replay::decode_every_response,
];

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    for decode in DECODERS {
        decode(body);
    }
});
