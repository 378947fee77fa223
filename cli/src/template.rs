//! The SAM template as the local runner sees it: CloudFormation's YAML short tags (`!Ref`,
//! `!GetAtt`, `!Sub`, ...) read into their long JSON forms, intrinsic functions resolved to
//! local stand-in values, and the resources the project cares about (state machines,
//! functions, schedules, rules) picked out.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Account used in local ARNs.
pub const LOCAL_ACCOUNT: &str = "123456789012";
/// Region used in local ARNs.
pub const LOCAL_REGION: &str = "us-east-1";
/// Stack name used in local names.
pub const LOCAL_STACK: &str = "ml-pipelines";

/// A template that could not be read or resolved.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The YAML is malformed.
    #[error("{path} is not valid YAML: {message}")]
    Yaml {
        /// The path.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// An intrinsic function could not be resolved.
    #[error("{location}: {message}")]
    Resolve {
        /// Where in the template (e.g. `Resources.X.Properties.Y`).
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// The parsed template: its JSON form and the values parameters take locally.
#[derive(Debug, Clone)]
pub struct Template {
    /// Where it was read from.
    pub path: PathBuf,
    /// The whole template, short tags rewritten to long forms.
    pub body: Value,
    /// Parameter values: defaults, then overrides.
    pub parameters: BTreeMap<String, String>,
    /// Parameters with neither default nor override, given a placeholder.
    pub placeholder_parameters: Vec<String>,
}

/// A state machine the template defines.
#[derive(Debug, Clone)]
pub struct StateMachineResource {
    /// Logical id (e.g. `MlRetrainingStateMachine`).
    pub logical_id: String,
    /// Short name: the definition file's stem (e.g. `ml-retraining`).
    pub name: String,
    /// The definition file, relative to the template's folder.
    pub definition_uri: String,
    /// `DefinitionSubstitutions`, unresolved (long JSON forms).
    pub substitutions: BTreeMap<String, Value>,
}

/// A Lambda function the template defines.
#[derive(Debug, Clone)]
pub struct FunctionResource {
    /// Logical id.
    pub logical_id: String,
    /// The cargo-lambda binary (`Metadata.BuildProperties.Binary`), else the CodeUri's folder name.
    pub binary: Option<String>,
    /// The function name as `Ref` gives it locally.
    pub function_name: String,
    /// SAM `Events` types (e.g. `SNS`, `MSK`, `Schedule`).
    pub event_types: Vec<String>,
}

/// An EventBridge Scheduler schedule.
#[derive(Debug, Clone)]
pub struct ScheduleResource {
    /// Logical id.
    pub logical_id: String,
    /// `ScheduleExpression`, resolved.
    pub expression: String,
    /// `ScheduleExpressionTimezone`, resolved (UTC when absent).
    pub timezone: String,
    /// The target, unresolved (long JSON form).
    pub target: Value,
    /// `State` (ENABLED when absent).
    pub state: String,
    /// `StartDate`, resolved, when set.
    pub start_date: Option<String>,
    /// `EndDate`, resolved, when set.
    pub end_date: Option<String>,
    /// `FlexibleTimeWindow.MaximumWindowInMinutes` (0 when the mode is OFF or it is absent).
    pub flexible_window_minutes: u32,
}

/// An EventBridge rule.
#[derive(Debug, Clone)]
pub struct RuleResource {
    /// Logical id.
    pub logical_id: String,
    /// `ScheduleExpression` when it is a scheduled rule.
    pub schedule: Option<String>,
    /// `EventPattern`, unresolved.
    pub event_pattern: Option<Value>,
    /// Each target's `Arn`, unresolved.
    pub targets: Vec<Value>,
}

impl Template {
    /// Reads `path`, taking parameter defaults and then `overrides`.
    pub fn load(
        path: &Path,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Template::parse(path, &text, overrides)
    }

    /// Parses template text (see [`Template::load`]).
    pub fn parse(
        path: &Path,
        text: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Template, TemplateError> {
        let yaml: serde_norway::Value =
            serde_norway::from_str(text).map_err(|e| TemplateError::Yaml {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let body = yaml_to_json(yaml).map_err(|message| TemplateError::Yaml {
            path: path.to_path_buf(),
            message,
        })?;
        let mut parameters = BTreeMap::new();
        let mut placeholder_parameters = Vec::new();
        if let Some(declared) = body.get("Parameters").and_then(Value::as_object) {
            for (name, spec) in declared {
                let value = overrides
                    .get(name)
                    .cloned()
                    .or_else(|| spec.get("Default").map(scalar_text));
                match value {
                    Some(v) => {
                        parameters.insert(name.clone(), v);
                    }
                    None => {
                        placeholder_parameters.push(name.clone());
                        parameters.insert(name.clone(), format!("local-{name}"));
                    }
                }
            }
        }
        Ok(Template {
            path: path.to_path_buf(),
            body,
            parameters,
            placeholder_parameters,
        })
    }

    /// The folder the template's relative paths start from.
    pub fn folder(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// `Resources` as a map.
    pub fn resources(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.body
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    }

    /// A resource by logical id.
    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.body.get("Resources")?.get(logical_id)
    }

    /// A resource's `Type`.
    pub fn resource_type(&self, logical_id: &str) -> Option<&str> {
        self.resource(logical_id)?.get("Type")?.as_str()
    }

    /// Every state machine.
    pub fn state_machines(&self) -> Vec<StateMachineResource> {
        self.resources()
            .filter(|(_, r)| {
                matches!(
                    r.get("Type").and_then(Value::as_str),
                    Some("AWS::Serverless::StateMachine")
                )
            })
            .filter_map(|(id, r)| {
                let props = r.get("Properties")?;
                let uri = props.get("DefinitionUri")?.as_str()?.to_string();
                let name = Path::new(&uri)
                    .file_name()
                    .and_then(|f| f.to_str())
                    .map(|f| {
                        f.trim_end_matches(".json")
                            .trim_end_matches(".asl")
                            .to_string()
                    })
                    .unwrap_or_else(|| id.clone());
                let substitutions = props
                    .get("DefinitionSubstitutions")
                    .and_then(Value::as_object)
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                Some(StateMachineResource {
                    logical_id: id.clone(),
                    name,
                    definition_uri: uri,
                    substitutions,
                })
            })
            .collect()
    }

    /// Every Lambda function.
    pub fn functions(&self) -> Vec<FunctionResource> {
        self.resources()
            .filter(|(_, r)| {
                matches!(
                    r.get("Type").and_then(Value::as_str),
                    Some("AWS::Serverless::Function" | "AWS::Lambda::Function")
                )
            })
            .map(|(id, r)| {
                let binary = r
                    .pointer("/Metadata/BuildProperties/Binary")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        r.pointer("/Properties/CodeUri")
                            .and_then(Value::as_str)
                            .and_then(|uri| Path::new(uri).file_name()?.to_str())
                            .filter(|name| *name != ".")
                            .map(str::to_string)
                    });
                let event_types = r
                    .pointer("/Properties/Events")
                    .and_then(Value::as_object)
                    .map(|events| {
                        events
                            .values()
                            .filter_map(|e| e.get("Type")?.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                FunctionResource {
                    logical_id: id.clone(),
                    binary,
                    function_name: self.physical_name(id),
                    event_types,
                }
            })
            .collect()
    }

    /// Every EventBridge Scheduler schedule.
    pub fn schedules(&self) -> Result<Vec<ScheduleResource>, TemplateError> {
        let mut out = Vec::new();
        for (id, r) in self.resources() {
            if r.get("Type").and_then(Value::as_str) != Some("AWS::Scheduler::Schedule") {
                continue;
            }
            let props = r.get("Properties").cloned().unwrap_or(Value::Null);
            let at = |field: &str| format!("Resources.{id}.Properties.{field}");
            let expression = match props.get("ScheduleExpression") {
                Some(v) => self.resolve_text(v, &at("ScheduleExpression"))?,
                None => {
                    return Err(TemplateError::Resolve {
                        location: at("ScheduleExpression"),
                        message: "missing".into(),
                    })
                }
            };
            let timezone = match props.get("ScheduleExpressionTimezone") {
                Some(v) => self.resolve_text(v, &at("ScheduleExpressionTimezone"))?,
                None => "UTC".into(),
            };
            let state = match props.get("State") {
                Some(v) => self.resolve_text(v, &at("State"))?,
                None => "ENABLED".into(),
            };
            let optional = |field: &str| {
                props
                    .get(field)
                    .map(|v| self.resolve_text(v, &at(field)))
                    .transpose()
            };
            let flexible_window_minutes =
                match props.pointer("/FlexibleTimeWindow/MaximumWindowInMinutes") {
                    Some(v) => self
                        .resolve_text(v, &at("FlexibleTimeWindow.MaximumWindowInMinutes"))?
                        .parse()
                        .unwrap_or(0),
                    None => 0,
                };
            out.push(ScheduleResource {
                logical_id: id.clone(),
                expression,
                timezone,
                target: props.get("Target").cloned().unwrap_or(Value::Null),
                state,
                start_date: optional("StartDate")?,
                end_date: optional("EndDate")?,
                flexible_window_minutes,
            });
        }
        Ok(out)
    }

    /// Every EventBridge rule (`AWS::Events::Rule`).
    pub fn rules(&self) -> Vec<RuleResource> {
        self.resources()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Events::Rule"))
            .map(|(id, r)| RuleResource {
                logical_id: id.clone(),
                schedule: r
                    .pointer("/Properties/ScheduleExpression")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                event_pattern: r.pointer("/Properties/EventPattern").cloned(),
                targets: r
                    .pointer("/Properties/Targets")
                    .and_then(Value::as_array)
                    .map(|targets| {
                        targets
                            .iter()
                            .filter_map(|t| t.get("Arn").cloned())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// The name `Ref` gives a resource locally: its explicit name property, else
    /// `<stack>-<LogicalId>` (what CloudFormation generates, minus the random suffix).
    pub fn physical_name(&self, logical_id: &str) -> String {
        let explicit = [
            "FunctionName",
            "TopicName",
            "TableName",
            "BucketName",
            "QueueName",
            "Name",
            "RoleName",
            "StateMachineName",
        ]
        .iter()
        .find_map(|field| {
            self.resource(logical_id)?
                .get("Properties")?
                .get(*field)?
                .as_str()
                .map(str::to_string)
        });
        explicit.unwrap_or_else(|| format!("{LOCAL_STACK}-{logical_id}"))
    }

    fn arn(&self, logical_id: &str) -> String {
        let name = self.physical_name(logical_id);
        let (region, account) = (LOCAL_REGION, LOCAL_ACCOUNT);
        match self.resource_type(logical_id).unwrap_or_default() {
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                format!("arn:aws:lambda:{region}:{account}:function:{name}")
            }
            "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
                format!("arn:aws:states:{region}:{account}:stateMachine:{name}")
            }
            "AWS::IAM::Role" => format!("arn:aws:iam::{account}:role/{name}"),
            "AWS::SNS::Topic" => format!("arn:aws:sns:{region}:{account}:{name}"),
            "AWS::SQS::Queue" => format!("arn:aws:sqs:{region}:{account}:{name}"),
            "AWS::DynamoDB::Table" => format!("arn:aws:dynamodb:{region}:{account}:table/{name}"),
            "AWS::S3::Bucket" => format!("arn:aws:s3:::{}", name.to_lowercase()),
            "AWS::Glue::Job" => format!("arn:aws:glue:{region}:{account}:job/{name}"),
            "AWS::Events::Rule" => format!("arn:aws:events:{region}:{account}:rule/{name}"),
            "AWS::Scheduler::Schedule" => {
                format!("arn:aws:scheduler:{region}:{account}:schedule/default/{name}")
            }
            "AWS::SecretsManager::Secret" => {
                format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}")
            }
            other => {
                let service = other.split("::").nth(1).unwrap_or("local").to_lowercase();
                format!("arn:aws:{service}:{region}:{account}:{name}")
            }
        }
    }

    fn ref_value(&self, name: &str, location: &str) -> Result<String, TemplateError> {
        match name {
            "AWS::Region" => return Ok(LOCAL_REGION.into()),
            "AWS::AccountId" => return Ok(LOCAL_ACCOUNT.into()),
            "AWS::StackName" => return Ok(LOCAL_STACK.into()),
            "AWS::Partition" => return Ok("aws".into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            "AWS::StackId" => {
                return Ok(format!(
                "arn:aws:cloudformation:{LOCAL_REGION}:{LOCAL_ACCOUNT}:stack/{LOCAL_STACK}/local"
            ))
            }
            _ => {}
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(value.clone());
        }
        match self.resource_type(name) {
            // For these, Ref gives the ARN (or URL) rather than the name.
            Some(
                "AWS::SNS::Topic"
                | "AWS::Serverless::StateMachine"
                | "AWS::StepFunctions::StateMachine"
                | "AWS::SecretsManager::Secret",
            ) => Ok(self.arn(name)),
            Some("AWS::SQS::Queue") => Ok(format!(
                "https://sqs.{LOCAL_REGION}.amazonaws.com/{LOCAL_ACCOUNT}/{}",
                self.physical_name(name)
            )),
            Some("AWS::S3::Bucket") => Ok(self.physical_name(name).to_lowercase()),
            Some(_) => Ok(self.physical_name(name)),
            None => Err(TemplateError::Resolve {
                location: location.into(),
                message: format!("!Ref {name}: no parameter or resource of that name"),
            }),
        }
    }

    fn get_att(
        &self,
        logical_id: &str,
        attribute: &str,
        location: &str,
    ) -> Result<String, TemplateError> {
        if self.resource(logical_id).is_none() {
            return Err(TemplateError::Resolve {
                location: location.into(),
                message: format!("!GetAtt {logical_id}.{attribute}: no resource {logical_id}"),
            });
        }
        Ok(match attribute {
            "Arn" => self.arn(logical_id),
            "Name" | "TopicName" | "QueueName" => self.physical_name(logical_id),
            "QueueUrl" => self.ref_value(logical_id, location)?,
            other => format!("{}.{other}", self.physical_name(logical_id)),
        })
    }

    /// Resolves intrinsic functions in `value` to local stand-in values.
    pub fn resolve(&self, value: &Value, location: &str) -> Result<Value, TemplateError> {
        let Value::Object(map) = value else {
            return match value {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.resolve(v, &format!("{location}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                other => Ok(other.clone()),
            };
        };
        let fail = |message: String| TemplateError::Resolve {
            location: location.into(),
            message,
        };
        if map.len() == 1 {
            let (key, arg) = map.iter().next().ok_or_else(|| fail("empty".into()))?;
            match key.as_str() {
                "Ref" => {
                    let name = arg
                        .as_str()
                        .ok_or_else(|| fail("!Ref takes a name".into()))?;
                    return self.ref_value(name, location).map(Value::String);
                }
                "Fn::GetAtt" => {
                    let parts = get_att_parts(arg)
                        .ok_or_else(|| fail("!GetAtt takes Resource.Attribute".into()))?;
                    return self
                        .get_att(&parts.0, &parts.1, location)
                        .map(Value::String);
                }
                "Fn::Sub" => return self.sub(arg, location).map(Value::String),
                "Fn::If" => {
                    let items = arg
                        .as_array()
                        .filter(|a| a.len() == 3)
                        .ok_or_else(|| fail("!If takes [condition, then, else]".into()))?;
                    let condition = items[0]
                        .as_str()
                        .ok_or_else(|| fail("!If needs a condition name".into()))?;
                    let chosen = if self.condition(condition, location)? {
                        &items[1]
                    } else {
                        &items[2]
                    };
                    return self.resolve(chosen, location);
                }
                "Fn::Join" => {
                    let items = arg
                        .as_array()
                        .filter(|a| a.len() == 2)
                        .ok_or_else(|| fail("!Join takes [delimiter, list]".into()))?;
                    let delimiter = items[0].as_str().unwrap_or_default();
                    let list = self.resolve(&items[1], location)?;
                    let parts: Vec<String> = list
                        .as_array()
                        .ok_or_else(|| fail("!Join needs a list".into()))?
                        .iter()
                        .map(scalar_text)
                        .collect();
                    return Ok(Value::String(parts.join(delimiter)));
                }
                "Fn::Select" => {
                    let items = arg
                        .as_array()
                        .filter(|a| a.len() == 2)
                        .ok_or_else(|| fail("!Select takes [index, list]".into()))?;
                    let index: usize = scalar_text(&self.resolve(&items[0], location)?)
                        .parse()
                        .map_err(|_| fail("!Select index is not a number".into()))?;
                    let list = self.resolve(&items[1], location)?;
                    return list
                        .as_array()
                        .and_then(|l| l.get(index))
                        .cloned()
                        .ok_or_else(|| fail(format!("!Select index {index} out of range")));
                }
                "Fn::Split" => {
                    let items = arg
                        .as_array()
                        .filter(|a| a.len() == 2)
                        .ok_or_else(|| fail("!Split takes [delimiter, text]".into()))?;
                    let delimiter = items[0].as_str().unwrap_or(",");
                    let text = scalar_text(&self.resolve(&items[1], location)?);
                    return Ok(Value::Array(
                        text.split(delimiter)
                            .map(|s| Value::String(s.into()))
                            .collect(),
                    ));
                }
                "Fn::Base64" | "Fn::ImportValue" | "Fn::FindInMap" | "Fn::GetAZs" | "Fn::Cidr"
                | "Fn::ToJsonString" => {
                    return Ok(Value::String(format!(
                        "local-{}",
                        key.trim_start_matches("Fn::")
                    )));
                }
                _ => {}
            }
        }
        map.iter()
            .map(|(k, v)| Ok((k.clone(), self.resolve(v, &format!("{location}.{k}"))?)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object)
    }

    /// Resolves `value` and renders it as text (strings as they are, numbers as written).
    pub fn resolve_text(&self, value: &Value, location: &str) -> Result<String, TemplateError> {
        Ok(scalar_text(&self.resolve(value, location)?))
    }

    fn sub(&self, arg: &Value, location: &str) -> Result<String, TemplateError> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(items) if items.len() == 2 => (
                items[0].as_str().ok_or_else(|| TemplateError::Resolve {
                    location: location.into(),
                    message: "!Sub takes a string".into(),
                })?,
                items[1].as_object(),
            ),
            _ => {
                return Err(TemplateError::Resolve {
                    location: location.into(),
                    message: "!Sub takes a string or [string, variables]".into(),
                })
            }
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = vars.and_then(|v| v.get(name)) {
                out.push_str(&self.resolve_text(value, location)?);
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&self.get_att(resource, attribute, location)?);
            } else {
                out.push_str(&self.ref_value(name, location)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn condition(&self, name: &str, location: &str) -> Result<bool, TemplateError> {
        let condition = self
            .body
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| TemplateError::Resolve {
                location: location.into(),
                message: format!("no condition {name}"),
            })?;
        self.evaluate_condition(condition, location)
    }

    fn evaluate_condition(&self, condition: &Value, location: &str) -> Result<bool, TemplateError> {
        let fail = |message: &str| TemplateError::Resolve {
            location: location.into(),
            message: message.into(),
        };
        let (key, arg) = condition
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
            .ok_or_else(|| fail("a condition is one function"))?;
        let items = || {
            arg.as_array()
                .ok_or_else(|| fail("a condition function takes a list"))
        };
        match key.as_str() {
            "Fn::Equals" => {
                let items = items()?;
                if items.len() != 2 {
                    return Err(fail("!Equals takes two values"));
                }
                Ok(
                    self.resolve(&items[0], location)? == self.resolve(&items[1], location)?
                        || self.resolve_text(&items[0], location)?
                            == self.resolve_text(&items[1], location)?,
                )
            }
            "Fn::Not" => Ok(!self.evaluate_condition(
                items()?
                    .first()
                    .ok_or_else(|| fail("!Not takes one condition"))?,
                location,
            )?),
            "Fn::And" => items()?.iter().try_fold(true, |acc, c| {
                Ok(acc && self.evaluate_condition(c, location)?)
            }),
            "Fn::Or" => items()?.iter().try_fold(false, |acc, c| {
                Ok(acc || self.evaluate_condition(c, location)?)
            }),
            "Condition" => self.condition(
                arg.as_str().ok_or_else(|| fail("Condition takes a name"))?,
                location,
            ),
            other => Err(fail(&format!("unknown condition function {other}"))),
        }
    }
}

fn get_att_parts(arg: &Value) -> Option<(String, String)> {
    match arg {
        Value::String(s) => s
            .split_once('.')
            .map(|(a, b)| (a.to_string(), b.to_string())),
        Value::Array(items) if items.len() == 2 => Some((
            items[0].as_str()?.to_string(),
            items[1].as_str()?.to_string(),
        )),
        _ => None,
    }
}

/// Text of a scalar as CloudFormation renders it into strings.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Converts YAML to JSON, rewriting short tags (`!Ref X`) to long forms (`{"Ref": "X"}`).
fn yaml_to_json(value: serde_norway::Value) -> Result<Value, String> {
    use serde_norway::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                n.as_f64().map(|f| json!(f)).unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let tag = tag.trim_start_matches('!');
            let inner = yaml_to_json(tagged.value)?;
            let long = match tag {
                "Ref" | "Condition" => tag.to_string(),
                "GetAtt" => {
                    let parts = get_att_parts(&inner).ok_or("!GetAtt takes Resource.Attribute")?;
                    return Ok(json!({"Fn::GetAtt": [parts.0, parts.1]}));
                }
                other => format!("Fn::{other}"),
            };
            json!({ long: inner })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Threshold: {Type: Number, Default: 15}
  Image: {Type: String}
  Extra: {Type: String, Default: ""}
Conditions:
  HasExtra: !Not [!Equals [!Ref Extra, ""]]
Resources:
  EvalFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: evaluate-model-metrics}}
    Properties: {CodeUri: ., Handler: bootstrap}
  Topic: {Type: AWS::SNS::Topic}
  Table: {Type: AWS::DynamoDB::Table, Properties: {TableName: registry}}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: state-machines/demo.asl.json
      DefinitionSubstitutions:
        FunctionArn: !GetAtt EvalFunction.Arn
        TopicArn: !Ref Topic
        TableName: !Ref Table
        Threshold: !Ref Threshold
        Label: !Sub "${AWS::StackName}-${Threshold}-${!Literal}"
        Chosen: !If [HasExtra, !Ref Extra, none]
  Weekly:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: cron(0 2 ? * SUN *)
      ScheduleExpressionTimezone: UTC
      FlexibleTimeWindow: {Mode: "OFF"}
      Target: {Arn: !Ref Machine, RoleArn: arn}
"#;

    fn template() -> Template {
        Template::parse(Path::new("sam-template.yaml"), TEMPLATE, &BTreeMap::new()).unwrap()
    }

    #[test]
    fn short_tags_become_long_forms_and_resolve_locally() {
        let t = template();
        let sm = &t.state_machines()[0];
        assert_eq!(sm.name, "demo");
        let resolved: BTreeMap<_, _> = sm
            .substitutions
            .iter()
            .map(|(k, v)| (k.clone(), t.resolve_text(v, k).unwrap()))
            .collect();
        assert_eq!(
            resolved["FunctionArn"],
            "arn:aws:lambda:us-east-1:123456789012:function:ml-pipelines-EvalFunction"
        );
        assert_eq!(
            resolved["TopicArn"],
            "arn:aws:sns:us-east-1:123456789012:ml-pipelines-Topic"
        );
        assert_eq!(resolved["TableName"], "registry");
        assert_eq!(resolved["Threshold"], "15");
        assert_eq!(resolved["Label"], "ml-pipelines-15-${Literal}");
        assert_eq!(resolved["Chosen"], "none");
    }

    #[test]
    fn parameters_without_default_get_a_placeholder_and_overrides_win() {
        let t = template();
        assert_eq!(t.placeholder_parameters, ["Image"]);
        let overrides = BTreeMap::from([
            ("Threshold".to_string(), "12".to_string()),
            ("Extra".to_string(), "x".to_string()),
        ]);
        let t = Template::parse(Path::new("t.yaml"), TEMPLATE, &overrides).unwrap();
        let sm = &t.state_machines()[0];
        assert_eq!(
            t.resolve_text(&sm.substitutions["Threshold"], "x").unwrap(),
            "12"
        );
        assert_eq!(
            t.resolve_text(&sm.substitutions["Chosen"], "x").unwrap(),
            "x"
        );
    }

    #[test]
    fn functions_and_schedules_are_found() {
        let t = template();
        let f = &t.functions()[0];
        assert_eq!(f.binary.as_deref(), Some("evaluate-model-metrics"));
        let s = &t.schedules().unwrap()[0];
        assert_eq!(s.expression, "cron(0 2 ? * SUN *)");
        assert_eq!(
            t.resolve_text(&s.target["Arn"], "t").unwrap(),
            "arn:aws:states:us-east-1:123456789012:stateMachine:ml-pipelines-Machine"
        );
    }

    #[test]
    fn an_unknown_ref_names_where_it_is() {
        let t = template();
        let err = t
            .resolve(&json!({"Ref": "Nope"}), "Resources.X.Properties.Y")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Resources.X.Properties.Y: !Ref Nope: no parameter or resource of that name"
        );
    }
}
