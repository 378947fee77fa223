//! SageMaker's `SageMaker Model Package State Change` event (source `aws.sagemaker`), as
//! EventBridge delivers it. Pure code: decoding only.
//!
//! ```json
//! {"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change",
//!  "detail": {"ModelPackageGroupName": "prod-demand-forecast", "ModelPackageVersion": 7,
//!             "ModelPackageArn": "arn:aws:sagemaker:...:model-package/prod-demand-forecast/7",
//!             "ModelApprovalStatus": "Approved", "ApprovalDescription": "looks good",
//!             "ModelPackageStatus": "Completed", ...}}
//! ```

use serde::Deserialize;
use serde_json::Value;

/// The `detail-type` this function handles.
pub const DETAIL_TYPE: &str = "SageMaker Model Package State Change";
/// The event's `source`.
pub const SOURCE: &str = "aws.sagemaker";

/// What the function needs from the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The version's ARN: the key of the pending approval.
    pub model_package_arn: String,
    /// `Approved`, `Rejected` or `PendingManualApproval`.
    pub approval_status: String,
    /// The approver's note, if any.
    pub approval_description: Option<String>,
    /// Who changed it, when SageMaker says (`ModifiedBy.UserProfileName` or `IamIdentity.Arn`).
    pub modified_by: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    source: Option<String>,
    #[serde(rename = "detail-type")]
    detail_type: Option<String>,
    detail: Option<Value>,
}

/// Decodes an EventBridge event into a [`StateChange`].
pub fn decode(event: &Value) -> Result<StateChange, String> {
    let envelope: Envelope = serde_json::from_value(event.clone())
        .map_err(|e| format!("not an EventBridge event: {e}"))?;
    if envelope.source.as_deref() != Some(SOURCE)
        || envelope.detail_type.as_deref() != Some(DETAIL_TYPE)
    {
        return Err(format!(
            "expected source {SOURCE:?} and detail-type {DETAIL_TYPE:?}, got {:?} and {:?}",
            envelope.source, envelope.detail_type
        ));
    }
    let detail = envelope.detail.ok_or("the event has no detail")?;
    let text = |field: &str| {
        detail
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let model_package_arn = text("ModelPackageArn")
        .filter(|a| a.contains(":model-package/"))
        .ok_or("detail.ModelPackageArn is missing or not a model package ARN")?;
    let approval_status =
        text("ModelApprovalStatus").ok_or("detail.ModelApprovalStatus is missing")?;
    let modified_by = [
        "/ModifiedBy/UserProfileName",
        "/ModifiedBy/IamIdentity/Arn",
        "/LastModifiedBy/UserProfileName",
        "/LastModifiedBy/IamIdentity/Arn",
    ]
    .iter()
    .find_map(|p| {
        detail
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    Ok(StateChange {
        model_package_arn,
        approval_status,
        approval_description: text("ApprovalDescription").filter(|d| !d.is_empty()),
        modified_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: Value) -> Value {
        json!({"version": "0", "id": "1", "source": SOURCE, "detail-type": DETAIL_TYPE,
               "account": "123456789012", "region": "us-east-1", "time": "2026-11-30T10:00:00Z",
               "resources": [], "detail": detail})
    }

    #[test]
    fn an_approval_decodes_with_its_note_and_approver() {
        let change = decode(&event(json!({
            "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/prod-demand-forecast/7",
            "ModelApprovalStatus": "Approved", "ApprovalDescription": "ok by me",
            "ModifiedBy": {"UserProfileName": "ana"}
        })))
        .unwrap();
        assert_eq!(change.approval_status, "Approved");
        assert_eq!(change.approval_description.as_deref(), Some("ok by me"));
        assert_eq!(change.modified_by.as_deref(), Some("ana"));
    }

    #[test]
    fn other_events_and_missing_fields_are_refused() {
        let mut other = event(json!({}));
        other["detail-type"] = json!("SageMaker Endpoint State Change");
        assert!(decode(&other).unwrap_err().contains("detail-type"));
        assert!(decode(&event(json!({"ModelApprovalStatus": "Approved"})))
            .unwrap_err()
            .contains("ModelPackageArn"));
        assert!(decode(&event(json!({"ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model/x", "ModelApprovalStatus": "Approved"})))
            .is_err());
        assert!(decode(&json!("text")).is_err());
    }
}
