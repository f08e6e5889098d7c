"""A deterministic synthetic population for the Avonshire Single View Partnership.

Pure Python and standard library only: no Django, no database. `generate` writes one CSV extract
per dataset with realistic errors, the true people and the ground truth linking every record to
its person; the specs describe the partnership's agencies and datasets for the seed command.
"""

from agencies.population.generate import (
    GROUND_TRUTH_COLUMNS,
    GROUND_TRUTH_FILE,
    PEOPLE_FILE,
    GenerationSummary,
    extract_filename,
    generate,
    sample_record,
    synthetic_person,
)
from agencies.population.nhs_numbers import nhs_check_digit, nhs_number_is_valid
from agencies.population.noise import BASE_ERROR_RATES, ERROR_TYPES
from agencies.population.people import (
    CHUNK_SIZE,
    MAX_PEOPLE,
    PEOPLE_COLUMNS,
    REFERENCE_DATE,
    TruePerson,
    iter_people,
)
from agencies.population.specs import (
    AGENCIES,
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    DATASETS,
    FIELD_TYPES,
    IDENTIFYING_FIELDS,
    ORGANISATION_TYPES,
    PARTNERSHIP_NAME,
    SENSITIVITIES,
    AgencySpec,
    DatasetSpec,
    FieldSpec,
    agency_spec,
    dataset_spec,
)

__all__ = [
    "AGENCIES",
    "BASE_ERROR_RATES",
    "BOOLEAN_FALSE",
    "BOOLEAN_TRUE",
    "CHUNK_SIZE",
    "DATASETS",
    "ERROR_TYPES",
    "FIELD_TYPES",
    "GROUND_TRUTH_COLUMNS",
    "GROUND_TRUTH_FILE",
    "IDENTIFYING_FIELDS",
    "MAX_PEOPLE",
    "ORGANISATION_TYPES",
    "PARTNERSHIP_NAME",
    "PEOPLE_COLUMNS",
    "PEOPLE_FILE",
    "REFERENCE_DATE",
    "SENSITIVITIES",
    "AgencySpec",
    "DatasetSpec",
    "FieldSpec",
    "GenerationSummary",
    "TruePerson",
    "agency_spec",
    "dataset_spec",
    "extract_filename",
    "generate",
    "iter_people",
    "nhs_check_digit",
    "nhs_number_is_valid",
    "sample_record",
    "synthetic_person",
]
