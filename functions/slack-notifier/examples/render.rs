//! Prints the Slack payload a sample SNS event renders to, without posting it:
//! `cargo run -p slack-notifier --example render -- events/slack-notifier/execution-failed.json`

use aws_lambda_events::sns::SnsEvent;
use slack_notifier::message::Notification;
use slack_notifier::render::render;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: render <sns-event.json>".into());
    };
    let event: SnsEvent = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    for record in &event.records {
        let notification = Notification::from_sns(&record.sns);
        eprintln!("kind: {}", notification.kind.name());
        println!(
            "{}",
            serde_json::to_string_pretty(&render(&notification).payload())?
        );
    }
    Ok(())
}
