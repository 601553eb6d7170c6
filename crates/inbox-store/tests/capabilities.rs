//! The capability matrix as the mapping note documents it, and the typed refusals.

use marketplace_inbox_store::{
    Action, Capabilities, MarkRead, Marketplace, ThreadId, Unsupported, UnsupportedReason,
};

fn refused(m: Marketplace, action: Action, reason: UnsupportedReason) -> Unsupported {
    Unsupported {
        marketplace: m,
        action,
        reason,
    }
}

#[test]
fn matrix_matches_the_mapping_note() {
    use Marketplace::*;
    // (marketplace, start, text max, send files, max bytes, per message, mark read, status, push)
    let expected = [
        (
            Lectronz,
            true,
            None,
            false,
            None,
            None,
            MarkRead::PerMessage,
            false,
            false,
        ),
        (
            Metro,
            true,
            None,
            true,
            Some(10 << 20),
            Some(10),
            MarkRead::Implicit,
            false,
            false,
        ),
        (
            Skyhub,
            false,
            None,
            false,
            None,
            None,
            MarkRead::PerThread,
            true,
            false,
        ),
        (
            Yandex,
            true,
            Some(4096),
            true,
            Some(5 << 20),
            Some(1),
            MarkRead::No,
            false,
            true,
        ),
    ];
    for (m, start, max, send, bytes, per, read, status, push) in expected {
        let c = Capabilities::of(m);
        assert_eq!(c.marketplace, m);
        assert_eq!(c.start_thread, start, "{m} start");
        assert!(c.reply_text, "{m} reply");
        assert_eq!(c.text_max_chars, max, "{m} text");
        assert_eq!(c.attachments.send, send, "{m} files");
        assert_eq!(c.attachments.max_bytes, bytes, "{m} bytes");
        assert_eq!(c.attachments.max_per_message, per, "{m} per message");
        assert_eq!(c.mark_read, read, "{m} mark read");
        assert_eq!(c.change_status, status, "{m} status");
        assert_eq!(c.push_notifications, push, "{m} push");
    }
    assert_eq!(
        Capabilities::of(Metro)
            .attachments
            .content_types
            .unwrap()
            .len(),
        8
    );
    assert!(Capabilities::of(Yandex).attachments.separate_message);
    // Serializable for callers (a CLI prints it as JSON).
    let json = serde_json::to_value(Capabilities::all()).unwrap();
    assert_eq!(json[3]["marketplace"], "yandex");
    assert_eq!(json[3]["text_max_chars"], 4096);
}

#[test]
fn unsupported_actions_are_typed_errors() {
    use Marketplace::*;
    for (m, action) in [
        (Skyhub, Action::StartThread),
        (Skyhub, Action::SendAttachment),
        (Lectronz, Action::SendAttachment),
        (Yandex, Action::MarkRead),
        (Metro, Action::MarkRead),
        (Metro, Action::ChangeStatus),
        (Lectronz, Action::PushNotifications),
    ] {
        assert_eq!(
            Capabilities::of(m).check(action),
            Err(refused(m, action, UnsupportedReason::NotOffered)),
            "{m} {action}"
        );
    }
    assert!(Capabilities::of(Skyhub).check(Action::MarkRead).is_ok());
    assert!(Capabilities::of(Lectronz).check(Action::MarkRead).is_ok());
    assert_eq!(
        Capabilities::of(Lectronz)
            .check(Action::SendAttachment)
            .unwrap_err()
            .to_string(),
        "lectronz cannot send an attachment (not offered by its API)"
    );
}

#[test]
fn text_limits_surface_as_unsupported() {
    let yandex = Capabilities::of(Marketplace::Yandex);
    assert!(yandex.check_text(&"я".repeat(4096)).is_ok());
    assert_eq!(
        yandex.check_text(&"я".repeat(4097)),
        Err(refused(
            Marketplace::Yandex,
            Action::ReplyText,
            UnsupportedReason::TextTooLong {
                chars: 4097,
                max: 4096
            }
        ))
    );
    assert_eq!(
        yandex.check_text("  "),
        Err(refused(
            Marketplace::Yandex,
            Action::ReplyText,
            UnsupportedReason::EmptyText
        ))
    );
    // Not documented: no limit invented.
    assert!(
        Capabilities::of(Marketplace::Metro)
            .check_text(&"x".repeat(100_000))
            .is_ok()
    );
}

#[test]
fn attachment_limits_surface_as_unsupported() {
    let metro = Capabilities::of(Marketplace::Metro);
    assert!(
        metro
            .check_attachments([("application/pdf", 10 << 20)])
            .is_ok()
    );
    assert!(
        metro
            .check_attachments([("image/PNG; charset=x", 1)])
            .is_ok()
    );
    assert_eq!(
        metro.check_attachments([("application/pdf", (10 << 20) + 1)]),
        Err(refused(
            Marketplace::Metro,
            Action::SendAttachment,
            UnsupportedReason::FileTooLarge {
                bytes: (10 << 20) + 1,
                max: 10 << 20
            }
        ))
    );
    assert_eq!(
        metro.check_attachments([("application/zip", 1)]),
        Err(refused(
            Marketplace::Metro,
            Action::SendAttachment,
            UnsupportedReason::ContentType {
                content_type: "application/zip".into()
            }
        ))
    );
    assert_eq!(
        metro.check_attachments(vec![("text/plain", 1); 11]),
        Err(refused(
            Marketplace::Metro,
            Action::SendAttachment,
            UnsupportedReason::TooManyAttachments { count: 11, max: 10 }
        ))
    );
    // Yandex: one file per call, each its own message: several files are several sends.
    let yandex = Capabilities::of(Marketplace::Yandex);
    assert!(
        yandex
            .check_attachments(vec![("application/zip", 5 << 20); 3])
            .is_ok()
    );
    assert!(
        yandex
            .check_attachments([("image/png", (5 << 20) + 1)])
            .is_err()
    );
    // SkyHub: none at all, but an empty list is fine.
    let skyhub = Capabilities::of(Marketplace::Skyhub);
    assert!(skyhub.check_attachments([]).is_ok());
    assert_eq!(
        skyhub
            .check_attachments([("text/plain", 1)])
            .unwrap_err()
            .reason,
        UnsupportedReason::NotOffered
    );
}

#[test]
fn skyhub_customer_b2w_is_read_only() {
    let skyhub = Capabilities::of(Marketplace::Skyhub);
    let b2w: ThreadId = "skyhub:acme:Lojas%20Americanas-1:CUSTOMER_B2W"
        .parse()
        .unwrap();
    let seller: ThreadId = "skyhub:acme:Lojas%20Americanas-1:CUSTOMER_SELLER"
        .parse()
        .unwrap();
    assert_eq!(
        skyhub.check_reply_in(&b2w),
        Err(refused(
            Marketplace::Skyhub,
            Action::ReplyText,
            UnsupportedReason::ReadOnlyThread
        ))
    );
    assert!(skyhub.check_reply_in(&seller).is_ok());
}
