//! The extension URLs the engine knows, and what it does with each: carries it out,
//! ignores it as presentation only, or reports it as not supported.

pub const ITEM_CONTROL: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl";
pub const MIN_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/minValue";
pub const MAX_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/maxValue";
pub const MIN_QUANTITY: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-minQuantity";
pub const MAX_QUANTITY: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity";
pub const MIN_LENGTH: &str = "http://hl7.org/fhir/StructureDefinition/minLength";
pub const REGEX: &str = "http://hl7.org/fhir/StructureDefinition/regex";
pub const MAX_DECIMAL_PLACES: &str = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces";
pub const ENTRY_FORMAT: &str = "http://hl7.org/fhir/StructureDefinition/entryFormat";
pub const HIDDEN: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden";
pub const UNIT: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit";
pub const UNIT_OPTION: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption";
pub const MIN_OCCURS: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs";
pub const MAX_OCCURS: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs";
pub const SLIDER_STEP: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-sliderStepValue";
pub const RENDERING_XHTML: &str = "http://hl7.org/fhir/StructureDefinition/rendering-xhtml";
pub const OBSERVATION_EXTRACT: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract";
pub const ITEM_EXTRACTION_CONTEXT: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-itemExtractionContext";
pub const OBSERVATION_LINK_PERIOD: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationLinkPeriod";
pub const LAUNCH_CONTEXT: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-launchContext";

/// What the engine does with an extension it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handling {
    /// Read into the model and carried out.
    Supported,
    /// A presentation or metadata hint: rendering works the same without it.
    Ignored,
    /// Changes what the form does; the engine does not carry it out. The message says
    /// what the user will see instead.
    Unsupported(&'static str),
}

/// How an extension URL is handled, for extensions the loader does not read itself.
pub(crate) fn handling(url: &str) -> Handling {
    const SDC: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-";
    const CORE: &str = "http://hl7.org/fhir/StructureDefinition/";
    if let Some(name) = url.strip_prefix(SDC) {
        return match name {
            // Read by the loader (form/expressions): carried out.
            "enableWhenExpression"
            | "calculatedExpression"
            | "initialExpression"
            | "answerExpression"
            | "launchContext" => Handling::Supported,
            "candidateExpression" | "contextExpression" => {
                Handling::Unsupported("FHIRPath expressions are not evaluated")
            }
            "sourceQueries" | "itemPopulationContext" => {
                Handling::Unsupported("pre-population from the record is not supported; the form starts empty")
            }
            "templateExtract"
            | "itemExtractionContext"
            | "targetStructureMap"
            | "extractAllocateId"
            | "definitionExtract"
            | "definitionExtractValue" => Handling::Unsupported(
                "template- and definition-based extraction is not supported; only observation-based extraction is",
            ),
            "shortText"
            | "openLabel"
            | "width"
            | "entryMode"
            | "choiceColumn"
            | "assembledFrom"
            | "itemMedia"
            | "preferredTerminologyServer"
            | "collapsible"
            | "columnCount" => Handling::Ignored,
            "minQuantity" | "maxQuantity" | "observationExtract" => Handling::Supported,
            _ => Handling::Unsupported("this SDC extension is not recognised and is ignored"),
        };
    }
    if let Some(name) = url.strip_prefix(CORE) {
        return match name {
            // Read by the loader (form/expressions): carried out.
            "variable" | "cqf-expression" => Handling::Supported,
            "cqf-library" => Handling::Unsupported("CQL libraries are not evaluated"),
            "targetConstraint" => Handling::Unsupported("FHIRPath targetConstraint is not checked"),
            "questionnaire-answerRepeats" => Handling::Unsupported("answerRepeats is not supported"),
            "questionnaire-choiceOrientation"
            | "rendering-style"
            | "rendering-styleSensitive"
            | "questionnaire-displayCategory"
            | "questionnaire-instruction"
            | "questionnaire-supportLink"
            | "rendering-markdown"
            | "translation"
            | "mimeType"
            | "maxSize"
            | "terminology-server"
            | "questionnaire-externallydefined"
            | "artifact-versionAlgorithm"
            | "questionnaire-optionExclusive"
            | "questionnaire-optionPrefix"
            | "questionnaire-baseType"
            | "questionnaire-usageMode"
            | "questionnaire-signatureRequired"
            | "questionnaire-referenceResource"
            | "questionnaire-referenceProfile"
            | "structuredefinition-wg"
            | "structuredefinition-fmm"
            | "structuredefinition-standards-status" => Handling::Ignored,
            _ if name.starts_with("cqf-") || name.starts_with("structuredefinition-") => Handling::Ignored,
            _ => Handling::Unsupported("this extension is not recognised and is ignored"),
        };
    }
    if url.starts_with("http://hl7.org/fhir/uv/cpg/") || url.starts_with("http://hl7.org/fhir/5.0/") {
        return Handling::Ignored;
    }
    Handling::Unsupported("this extension is not recognised and is ignored")
}
