//! SNS messages as `slack-notifier` reads them: the Lambda SNS event, each record classified
//! (`Notification::from_sns`) and rendered to a Slack message (`render::render`). The bytes are
//! also tried as a bare message body (`Notification::classify`), the part that comes from other
//! systems. Properties: no panic; a rendered message keeps Slack's block limit.
#![no_main]

use aws_lambda_events::sns::SnsEvent;
use libfuzzer_sys::fuzz_target;
use slack_notifier::message::Notification;
use slack_notifier::render;
use std::collections::BTreeMap;

/// Slack's limit on blocks in one message.
const MAX_BLOCKS: usize = 50;

fn check(notification: &Notification) {
    let message = render::render(notification);
    assert!(
        message.blocks.len() <= MAX_BLOCKS,
        "{} blocks",
        message.blocks.len()
    );
    let _ = message.payload();
    let _ = message.text_only_payload();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = std::str::from_utf8(data) {
        let mut attributes = BTreeMap::new();
        attributes.insert("event_type".to_string(), "model.drift_detected".to_string());
        for attributes in [BTreeMap::new(), attributes] {
            check(&Notification::classify(
                body,
                Some("subject".into()),
                attributes,
                "id".into(),
                "topic".into(),
            ));
        }
    }
    if let Ok(event) = serde_json::from_slice::<SnsEvent>(data) {
        for record in &event.records {
            check(&Notification::from_sns(&record.sns));
        }
    }
});
