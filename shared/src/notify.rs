//! Publishing one of the project's notifications (a JSON body the slack notifier renders, with
//! `event_type`/`severity` message attributes for subscription filters) to an SNS topic.
//! Behind the `sns` feature, so that only the functions that publish build the SNS client.

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::MessageAttributeValue;

/// SNS's limit is 256 KiB for the message and its attributes (SNS `Publish` API reference);
/// bodies are kept well below it.
pub const MAX_MESSAGE_BYTES: usize = 240 * 1024;

/// One message attribute: `(name, data type, value)`, the data type `String` or `Number`.
pub type Attribute = (String, String, String);

/// Publishes `message` with `subject` and `attributes` to `topic_arn`; returns SNS's message
/// id. The error is one line naming the topic and SNS's error code, for the caller's typed
/// error or warning.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    subject: &str,
    message: &str,
    attributes: &[Attribute],
) -> Result<String, String> {
    let mut request = sns
        .publish()
        .topic_arn(topic_arn)
        .subject(subject)
        .message(message);
    for (name, data_type, value) in attributes {
        let attribute = MessageAttributeValue::builder()
            .data_type(data_type)
            .string_value(value)
            .build()
            .map_err(|e| format!("message attribute {name}: {e}"))?;
        request = request.message_attributes(name, attribute);
    }
    match request.send().await {
        Ok(output) => Ok(output.message_id.unwrap_or_default()),
        Err(error) => Err(format!(
            "sns:Publish to {topic_arn} failed ({}): {}",
            error.code().unwrap_or("unknown"),
            error
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{error:?}"))
        )),
    }
}

/// An attribute of type `String`.
pub fn text(name: &str, value: &str) -> Attribute {
    (name.into(), "String".into(), value.into())
}

/// An attribute of type `Number`.
pub fn number(name: &str, value: impl ToString) -> Attribute {
    (name.into(), "Number".into(), value.to_string())
}
