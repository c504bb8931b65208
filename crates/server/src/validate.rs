//! Checks a resource before it is stored: the R4 structure and value types of the resource
//! types this server keeps, so that nothing malformed reaches the record. Each problem
//! names the element (`Observation.code.coding[0].code`).
//!
//! This covers what Formwell writes and reads (QuestionnaireResponse, Observation, Consent,
//! Provenance, Patient, Practitioner, Questionnaire); it is not a full R4 validator.

use serde_json::{Map, Value};

use crate::outcome::FhirError;

/// The resource types the store keeps.
pub const TYPES: [&str; 7] =
    ["QuestionnaireResponse", "Observation", "Consent", "Provenance", "Patient", "Practitioner", "Questionnaire"];

type Check = Result<(), FhirError>;

/// Every resource type R4 (4.0.1) defines. A gateway forwards requests for these only: a
/// path segment that is not one of them is not a FHIR request, whatever the upstream
/// server might make of it.
#[rustfmt::skip]
pub const R4_TYPES: [&str; 146] = [
    "Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance", "Appointment", "AppointmentResponse",
    "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct", "BodyStructure", "Bundle", "CapabilityStatement",
    "CarePlan", "CareTeam", "CatalogEntry", "ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse",
    "ClinicalImpression", "CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition",
    "Composition", "ConceptMap", "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest",
    "CoverageEligibilityResponse", "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric", "DeviceRequest",
    "DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis",
    "Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse", "EpisodeOfCare", "EventDefinition",
    "Evidence", "EvidenceVariable", "ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal",
    "GraphDefinition", "Group", "GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization",
    "ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide", "InsurancePlan", "Invoice",
    "Library", "Linkage", "List", "Location", "Measure", "MeasureReport", "Media", "Medication",
    "MedicationAdministration", "MedicationDispense", "MedicationKnowledge", "MedicationRequest",
    "MedicationStatement", "MedicinalProduct", "MedicinalProductAuthorization", "MedicinalProductContraindication",
    "MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
    "MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect", "MessageDefinition", "MessageHeader", "MolecularSequence", "NamingSystem",
    "NutritionOrder", "Observation", "ObservationDefinition", "OperationDefinition", "OperationOutcome",
    "Organization", "OrganizationAffiliation", "Parameters", "Patient", "PaymentNotice", "PaymentReconciliation",
    "Person", "PlanDefinition", "Practitioner", "PractitionerRole", "Procedure", "Provenance", "Questionnaire",
    "QuestionnaireResponse", "RelatedPerson", "RequestGroup", "ResearchDefinition", "ResearchElementDefinition",
    "ResearchStudy", "ResearchSubject", "RiskAssessment", "RiskEvidenceSynthesis", "Schedule", "SearchParameter",
    "ServiceRequest", "Slot", "Specimen", "SpecimenDefinition", "StructureDefinition", "StructureMap", "Subscription",
    "Substance", "SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein", "SubstanceReferenceInformation",
    "SubstanceSourceMaterial", "SubstanceSpecification", "SupplyDelivery", "SupplyRequest", "Task",
    "TerminologyCapabilities", "TestReport", "TestScript", "ValueSet", "VerificationResult", "VisionPrescription",
];

/// Whether `id` is an R4 resource id: 1 to 64 of `A-Z a-z 0-9 - .` (so never `/`, `?` or
/// `..` once decoded, and nothing an upstream server could read as another path).
pub fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id != "."
        && id != ".."
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Checks a request path under `/fhir` as it came, before any decoding: every segment
/// must be plain. An encoded `/`, `?`, `#` or `\`, a `.` or `..` segment (encoded or
/// not) or a control character could turn into another path once an upstream server
/// decodes it.
pub fn plain_path(raw: &str) -> Check {
    for segment in raw.split('/') {
        let decoded = crate::store::decode(segment);
        let hostile = decoded == "."
            || decoded == ".."
            || decoded.chars().any(|c| matches!(c, '/' | '?' | '#' | '\\') || c.is_control())
            || segment.contains('%') && decoded.contains('%');
        if hostile {
            return Err(FhirError::invalid(
                "(request path)",
                format!("the path segment \"{segment}\" is not a plain FHIR name or id"),
            ));
        }
    }
    Ok(())
}

/// The elements of an R4 Bundle, of its entries, and of an entry's request.
const BUNDLE_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "implicitRules",
    "language",
    "identifier",
    "type",
    "timestamp",
    "total",
    "link",
    "entry",
    "signature",
];
const ENTRY_ELEMENTS: &[&str] =
    &["id", "extension", "modifierExtension", "link", "fullUrl", "resource", "search", "request", "response"];
const REQUEST_ELEMENTS: &[&str] = &[
    "id",
    "extension",
    "modifierExtension",
    "method",
    "url",
    "ifNoneMatch",
    "ifModifiedSince",
    "ifMatch",
    "ifNoneExist",
];

/// Checks a Bundle posted to the base: a transaction or batch whose every element is one R4
/// defines, with its entries as an array of objects, each request a method and a url. A
/// misspelt `entry` must not pass as an empty transaction, which a client would take for
/// success.
pub fn bundle(json: &Value) -> Check {
    let Some(object) = json.as_object() else {
        return Err(FhirError::invalid("Bundle", "the body must be a JSON object"));
    };
    if object.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(FhirError::invalid("resourceType", "POST to the base takes a transaction or batch Bundle"));
    }
    for key in object.keys() {
        let name = key.strip_prefix('_').unwrap_or(key);
        if !BUNDLE_ELEMENTS.contains(&name) {
            return Err(FhirError::invalid(
                format!("Bundle.{key}"),
                format!("{key} is not an element of an R4 Bundle"),
            ));
        }
    }
    match object.get("type").and_then(Value::as_str) {
        Some("transaction" | "batch") => {}
        Some(other) => {
            return Err(FhirError::invalid(
                "Bundle.type",
                format!("POST to the base takes a transaction or batch Bundle, not \"{other}\""),
            ))
        }
        None => return Err(FhirError::invalid("Bundle.type", "a Bundle needs a type (transaction or batch)")),
    }
    let entries = match object.get("entry") {
        None => return Ok(()),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(FhirError::invalid("Bundle.entry", "entry must be an array of entries")),
    };
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("Bundle.entry[{i}]");
        let Some(entry) = entry.as_object() else {
            return Err(FhirError::invalid(at, "an entry must be a JSON object"));
        };
        for key in entry.keys() {
            if !ENTRY_ELEMENTS.contains(&key.as_str()) {
                return Err(FhirError::invalid(
                    format!("{at}.{key}"),
                    format!("{key} is not an element of a Bundle entry"),
                ));
            }
        }
        if entry.get("fullUrl").is_some_and(|u| !u.is_string()) {
            return Err(FhirError::invalid(format!("{at}.fullUrl"), "fullUrl must be a string"));
        }
        if entry.get("resource").is_some_and(|r| !r.is_object()) {
            return Err(FhirError::invalid(format!("{at}.resource"), "resource must be a JSON object"));
        }
        let Some(request) = entry.get("request") else {
            return Err(FhirError::invalid(
                format!("{at}.request"),
                "each entry of a transaction or batch needs a request",
            ));
        };
        let Some(request) = request.as_object() else {
            return Err(FhirError::invalid(format!("{at}.request"), "request must be a JSON object"));
        };
        for key in request.keys() {
            if !REQUEST_ELEMENTS.contains(&key.as_str()) {
                return Err(FhirError::invalid(
                    format!("{at}.request.{key}"),
                    format!("{key} is not an element of a Bundle entry's request"),
                ));
            }
        }
        match request.get("method").and_then(Value::as_str) {
            Some("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH") => {}
            _ => {
                return Err(FhirError::invalid(
                    format!("{at}.request.method"),
                    "method must be one of GET, HEAD, POST, PUT, DELETE, PATCH",
                ))
            }
        }
        if !request.get("url").is_some_and(|u| u.as_str().is_some_and(|u| !u.is_empty())) {
            return Err(FhirError::invalid(format!("{at}.request.url"), "request.url must be a non-empty string"));
        }
        for key in ["ifNoneMatch", "ifModifiedSince", "ifMatch", "ifNoneExist"] {
            if request.get(key).is_some_and(|v| !v.is_string()) {
                return Err(FhirError::invalid(format!("{at}.request.{key}"), format!("{key} must be a string")));
            }
        }
    }
    Ok(())
}

/// Elements every resource may have (Resource and DomainResource).
const COMMON: &[&str] =
    &["resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension", "modifierExtension"];

/// The R4 elements of each kept type (choice elements spelled out).
fn elements(kind: &str) -> &'static [&'static str] {
    match kind {
        "QuestionnaireResponse" => &[
            "identifier",
            "basedOn",
            "partOf",
            "questionnaire",
            "status",
            "subject",
            "encounter",
            "authored",
            "author",
            "source",
            "item",
        ],
        "Observation" => &[
            "identifier",
            "basedOn",
            "partOf",
            "status",
            "category",
            "code",
            "subject",
            "focus",
            "encounter",
            "effectiveDateTime",
            "effectivePeriod",
            "effectiveTiming",
            "effectiveInstant",
            "issued",
            "performer",
            "valueQuantity",
            "valueCodeableConcept",
            "valueString",
            "valueBoolean",
            "valueInteger",
            "valueRange",
            "valueRatio",
            "valueSampledData",
            "valueTime",
            "valueDateTime",
            "valuePeriod",
            "dataAbsentReason",
            "interpretation",
            "note",
            "bodySite",
            "method",
            "specimen",
            "device",
            "referenceRange",
            "hasMember",
            "derivedFrom",
            "component",
        ],
        "Consent" => &[
            "identifier",
            "status",
            "scope",
            "category",
            "patient",
            "dateTime",
            "performer",
            "organization",
            "sourceAttachment",
            "sourceReference",
            "policy",
            "policyRule",
            "verification",
            "provision",
        ],
        "Provenance" => &[
            "target",
            "occurredPeriod",
            "occurredDateTime",
            "recorded",
            "policy",
            "location",
            "reason",
            "activity",
            "agent",
            "entity",
            "signature",
        ],
        "Patient" => &[
            "identifier",
            "active",
            "name",
            "telecom",
            "gender",
            "birthDate",
            "deceasedBoolean",
            "deceasedDateTime",
            "address",
            "maritalStatus",
            "multipleBirthBoolean",
            "multipleBirthInteger",
            "photo",
            "contact",
            "communication",
            "generalPractitioner",
            "managingOrganization",
            "link",
        ],
        "Practitioner" => &[
            "identifier",
            "active",
            "name",
            "telecom",
            "address",
            "gender",
            "birthDate",
            "photo",
            "qualification",
            "communication",
        ],
        "Questionnaire" => &[
            "url",
            "identifier",
            "version",
            "name",
            "title",
            "derivedFrom",
            "status",
            "experimental",
            "subjectType",
            "date",
            "publisher",
            "contact",
            "description",
            "useContext",
            "jurisdiction",
            "purpose",
            "copyright",
            "approvalDate",
            "lastReviewDate",
            "effectivePeriod",
            "code",
            "item",
        ],
        _ => &[],
    }
}

/// Validates one resource of a kept type.
pub fn resource(json: &Value) -> Check {
    let Some(object) = json.as_object() else {
        return Err(FhirError::invalid("(resource)", "a resource must be a JSON object"));
    };
    let kind = object.get("resourceType").and_then(Value::as_str).unwrap_or("");
    if !TYPES.contains(&kind) {
        return Err(FhirError::invalid(
            format!("{kind}.resourceType"),
            format!("this server keeps {}, not \"{kind}\"", TYPES.join(", ")),
        ));
    }
    let mut v = Validator { path: vec![kind.to_owned()] };
    for key in object.keys() {
        // `_name` carries a primitive element's id and extensions.
        let name = key.strip_prefix('_').unwrap_or(key);
        if !COMMON.contains(&name) && !elements(kind).contains(&name) {
            return Err(v.error(key, format!("{key} is not an element of an R4 {kind}")));
        }
    }
    v.element(object)?;
    if let Some(id) = object.get("id") {
        v.at("id", |v| v.id(id))?;
    }
    match kind {
        "QuestionnaireResponse" => {
            v.required_code(object, "status", &["in-progress", "completed", "amended", "entered-in-error", "stopped"])?;
            v.optional(object, "authored", |v, x| v.date_time(x))?;
            v.optional(object, "questionnaire", |v, x| v.uri(x))?;
            v.references(object, &["subject", "author", "source", "encounter"])?;
            v.optional(object, "identifier", |v, x| v.identifier(x))?;
            v.response_items(object.get("item"))?;
        }
        "Observation" => {
            v.required_code(
                object,
                "status",
                &[
                    "registered",
                    "preliminary",
                    "final",
                    "amended",
                    "corrected",
                    "cancelled",
                    "entered-in-error",
                    "unknown",
                ],
            )?;
            v.required(object, "code", |v, x| v.codeable_concept(x))?;
            v.list(object, "category", |v, x| v.codeable_concept(x))?;
            v.list(object, "identifier", |v, x| v.identifier(x))?;
            v.optional(object, "effectiveDateTime", |v, x| v.date_time(x))?;
            v.optional(object, "valueDateTime", |v, x| v.date_time(x))?;
            v.optional(object, "valueCodeableConcept", |v, x| v.codeable_concept(x))?;
            v.optional(object, "valueString", |v, x| v.string(x))?;
            v.optional(object, "valueBoolean", |v, x| v.boolean(x))?;
            v.optional(object, "valueInteger", |v, x| v.integer(x))?;
            v.references(object, &["subject"])?;
            v.list(object, "performer", |v, x| v.reference(x))?;
            v.list(object, "derivedFrom", |v, x| v.reference(x))?;
        }
        "Consent" => {
            v.required_code(
                object,
                "status",
                &["draft", "proposed", "active", "rejected", "inactive", "entered-in-error"],
            )?;
            v.required(object, "scope", |v, x| v.codeable_concept(x))?;
            v.required_list(object, "category", |v, x| v.codeable_concept(x))?;
            if object.get("policy").is_none() && object.get("policyRule").is_none() {
                return Err(v.error("policy", "a Consent needs a policy or a policyRule (R4 ppc-1)"));
            }
            v.optional(object, "dateTime", |v, x| v.date_time(x))?;
            v.references(object, &["patient"])?;
            v.list(object, "performer", |v, x| v.reference(x))?;
            v.list(object, "identifier", |v, x| v.identifier(x))?;
        }
        "Provenance" => {
            v.required_list(object, "target", |v, x| v.reference(x))?;
            v.required(object, "recorded", |v, x| v.instant(x))?;
            v.required_list(object, "agent", |v, x| {
                let agent = x.as_object().ok_or_else(|| v.error("", "an agent must be an object"))?;
                v.required(agent, "who", |v, w| v.reference(w))
            })?;
            v.list(object, "policy", |v, x| v.uri(x))?;
        }
        "Patient" | "Practitioner" => {
            v.list(object, "identifier", |v, x| v.identifier(x))?;
            v.optional(object, "birthDate", |v, x| v.date(x))?;
            v.list(object, "address", |v, x| {
                let address = x.as_object().ok_or_else(|| v.error("", "an address must be an object"))?;
                v.optional(address, "use", |v, u| v.code_in(u, &["home", "work", "temp", "old", "billing"]))?;
                v.optional(address, "period", |v, p| v.period(p))
            })?;
            v.list(object, "telecom", |v, x| {
                let telecom = x.as_object().ok_or_else(|| v.error("", "a telecom must be an object"))?;
                v.optional(telecom, "system", |v, s| {
                    v.code_in(s, &["phone", "fax", "email", "pager", "url", "sms", "other"])
                })?;
                v.optional(telecom, "value", |v, s| v.string(s))
            })?;
        }
        "Questionnaire" => {
            v.required_code(object, "status", &["draft", "active", "retired", "unknown"])?;
            v.optional(object, "url", |v, x| v.uri(x))?;
        }
        _ => {}
    }
    Ok(())
}

struct Validator {
    path: Vec<String>,
}

impl Validator {
    fn here(&self) -> String {
        self.path.join(".").replace(".[", "[")
    }

    fn error(&self, field: &str, text: impl Into<String>) -> FhirError {
        let at = if field.is_empty() { self.here() } else { format!("{}.{field}", self.here()) };
        FhirError::invalid(at, text)
    }

    fn at<T>(&mut self, field: &str, f: impl FnOnce(&mut Validator) -> Result<T, FhirError>) -> Result<T, FhirError> {
        self.path.push(field.to_owned());
        let result = f(self);
        self.path.pop();
        result
    }

    /// Rules every element keeps: no empty strings, no nulls, no empty objects or arrays.
    fn element(&mut self, object: &Map<String, Value>) -> Check {
        for (key, value) in object {
            self.at(key, |v| v.no_empties(value))?;
        }
        Ok(())
    }

    fn no_empties(&mut self, value: &Value) -> Check {
        match value {
            Value::Null => Err(self.error("", "null is not a FHIR value; leave the element out")),
            Value::String(s) if s.is_empty() => {
                Err(self.error("", "an empty string is not a FHIR value; leave the element out"))
            }
            Value::Array(a) if a.is_empty() => {
                Err(self.error("", "an empty list is not allowed; leave the element out"))
            }
            Value::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    self.at(&format!("[{i}]"), |v| v.no_empties(item))?;
                }
                Ok(())
            }
            Value::Object(o) if o.is_empty() => {
                Err(self.error("", "an empty object is not allowed; leave the element out"))
            }
            Value::Object(o) => self.element(o),
            _ => Ok(()),
        }
    }

    fn optional(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        f: impl FnOnce(&mut Validator, &Value) -> Check,
    ) -> Check {
        match object.get(field) {
            Some(value) => self.at(field, |v| f(v, value)),
            None => Ok(()),
        }
    }

    fn required(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        f: impl FnOnce(&mut Validator, &Value) -> Check,
    ) -> Check {
        if !object.contains_key(field) {
            return Err(self.error(field, format!("{field} is required")));
        }
        self.optional(object, field, f)
    }

    fn list(&mut self, object: &Map<String, Value>, field: &str, f: impl Fn(&mut Validator, &Value) -> Check) -> Check {
        match object.get(field) {
            None => Ok(()),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.at(&format!("{field}[{i}]"), |v| f(v, item))?;
                }
                Ok(())
            }
            Some(_) => Err(self.error(field, format!("{field} must be a list"))),
        }
    }

    fn required_list(
        &mut self,
        object: &Map<String, Value>,
        field: &str,
        f: impl Fn(&mut Validator, &Value) -> Check,
    ) -> Check {
        if object.get(field).and_then(Value::as_array).is_none_or(|a| a.is_empty()) {
            return Err(self.error(field, format!("{field} needs at least one entry")));
        }
        self.list(object, field, f)
    }

    fn required_code(&mut self, object: &Map<String, Value>, field: &str, allowed: &[&str]) -> Check {
        self.required(object, field, |v, x| v.code_in(x, allowed))
    }

    fn references(&mut self, object: &Map<String, Value>, fields: &[&str]) -> Check {
        for field in fields {
            self.optional(object, field, |v, x| v.reference(x))?;
        }
        Ok(())
    }

    fn string(&mut self, value: &Value) -> Check {
        value.as_str().map(|_| ()).ok_or_else(|| self.error("", "expected text"))
    }

    fn boolean(&mut self, value: &Value) -> Check {
        value.as_bool().map(|_| ()).ok_or_else(|| self.error("", "expected true or false"))
    }

    fn integer(&mut self, value: &Value) -> Check {
        match value.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => Ok(()),
            _ => Err(self.error("", "expected a 32-bit whole number")),
        }
    }

    fn id(&mut self, value: &Value) -> Check {
        if value.as_str().is_some_and(is_id) {
            Ok(())
        } else {
            Err(self.error("", "an id is 1 to 64 letters, digits, '-' or '.'"))
        }
    }

    /// A FHIR code: no leading or trailing space, no double spaces.
    fn code(&mut self, value: &Value) -> Check {
        let ok = value
            .as_str()
            .is_some_and(|s| !s.is_empty() && s.trim() == s && !s.contains("  ") && !s.contains(['\t', '\n', '\r']));
        if ok {
            Ok(())
        } else {
            Err(self.error("", "invalid code format (no leading, trailing or double spaces)"))
        }
    }

    fn code_in(&mut self, value: &Value, allowed: &[&str]) -> Check {
        self.code(value)?;
        let code = value.as_str().unwrap_or_default();
        if allowed.contains(&code) {
            Ok(())
        } else {
            Err(self.error("", format!("\"{code}\" is not one of {}", allowed.join(", "))))
        }
    }

    fn uri(&mut self, value: &Value) -> Check {
        match value.as_str() {
            Some(s) if !s.is_empty() && !s.contains(char::is_whitespace) => Ok(()),
            _ => Err(self.error("", "invalid uri format")),
        }
    }

    fn date(&mut self, value: &Value) -> Check {
        match value.as_str().and_then(formwell_engine::FhirDate::parse) {
            Some(_) => Ok(()),
            None => Err(self.error("", "invalid date format (YYYY, YYYY-MM or YYYY-MM-DD)")),
        }
    }

    fn date_time(&mut self, value: &Value) -> Check {
        let text = value.as_str().unwrap_or_default();
        // A time needs a zone in R4; the engine reads a zoneless time as UTC, so it is
        // checked here rather than there.
        let has_time = text.contains('T');
        let zoned = text.ends_with('Z') || text.rsplit_once('T').is_some_and(|(_, t)| t.contains(['+', '-']));
        match formwell_engine::FhirDateTime::parse(text) {
            Some(_) if !has_time || zoned => Ok(()),
            _ => Err(self.error("", "invalid dateTime format (such as 2026-11-26T10:15:00Z)")),
        }
    }

    fn instant(&mut self, value: &Value) -> Check {
        let text = value.as_str().unwrap_or_default();
        if !text.contains('T') {
            return Err(self.error("", "invalid instant format (a full date and time with a zone)"));
        }
        self.date_time(value)
    }

    fn period(&mut self, value: &Value) -> Check {
        let period = value.as_object().ok_or_else(|| self.error("", "a period must be an object"))?;
        self.optional(period, "start", |v, x| v.date_time(x))?;
        self.optional(period, "end", |v, x| v.date_time(x))
    }

    fn coding(&mut self, value: &Value) -> Check {
        let coding = value.as_object().ok_or_else(|| self.error("", "a Coding must be an object"))?;
        self.optional(coding, "system", |v, x| v.uri(x))?;
        self.optional(coding, "code", |v, x| v.code(x))?;
        self.optional(coding, "display", |v, x| v.string(x))
    }

    fn codeable_concept(&mut self, value: &Value) -> Check {
        let concept = value.as_object().ok_or_else(|| self.error("", "a CodeableConcept must be an object"))?;
        self.list(concept, "coding", |v, x| v.coding(x))?;
        self.optional(concept, "text", |v, x| v.string(x))
    }

    fn identifier(&mut self, value: &Value) -> Check {
        let identifier = value.as_object().ok_or_else(|| self.error("", "an Identifier must be an object"))?;
        self.optional(identifier, "system", |v, x| v.uri(x))?;
        self.optional(identifier, "value", |v, x| v.string(x))
    }

    fn reference(&mut self, value: &Value) -> Check {
        let reference = value.as_object().ok_or_else(|| self.error("", "a Reference must be an object"))?;
        self.optional(reference, "reference", |v, x| match x.as_str() {
            Some(s) if !s.contains(char::is_whitespace) => Ok(()),
            _ => Err(v.error("", "invalid reference format")),
        })?;
        self.optional(reference, "display", |v, x| v.string(x))
    }

    fn response_items(&mut self, items: Option<&Value>) -> Check {
        let Some(items) = items else { return Ok(()) };
        let items = items.as_array().ok_or_else(|| self.error("item", "item must be a list"))?;
        for (i, item) in items.iter().enumerate() {
            self.at(&format!("item[{i}]"), |v| {
                let item = item.as_object().ok_or_else(|| v.error("", "an item must be an object"))?;
                v.required(item, "linkId", |v, x| v.string(x))?;
                if item.contains_key("item") && item.contains_key("answer") {
                    return Err(v.error("", "an item cannot hold both answers and items (R4 qrs-1)"));
                }
                v.list(item, "answer", |v, a| {
                    let answer = a.as_object().ok_or_else(|| v.error("", "an answer must be an object"))?;
                    let values: Vec<&String> = answer.keys().filter(|k| k.starts_with("value")).collect();
                    if values.len() != 1 {
                        return Err(v.error("", "an answer holds exactly one value[x]"));
                    }
                    let key = values[0].as_str();
                    let value = &answer[key];
                    v.at(key, |v| match key {
                        "valueBoolean" => v.boolean(value),
                        "valueInteger" => v.integer(value),
                        "valueDate" => v.date(value),
                        "valueDateTime" => v.date_time(value),
                        "valueCoding" => v.coding(value),
                        "valueReference" => v.reference(value),
                        "valueString" | "valueTime" | "valueUri" => v.string(value),
                        _ => Ok(()),
                    })?;
                    v.response_items(answer.get("item"))
                })?;
                v.response_items(item.get("item"))
            })?;
        }
        Ok(())
    }
}
