"""
Common problem-list codes offered as suggestions when coding a condition. Codes and titles are from the
public ICD-10-CM code set (CMS/CDC, FY2025 tabular list); any valid ICD-10-CM or SNOMED CT code may be entered.
"""

COMMON_ICD10CM = {
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
    "E11.22": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
    "E10.9": "Type 1 diabetes mellitus without complications",
    "I10": "Essential (primary) hypertension",
    "I50.9": "Heart failure, unspecified",
    "I50.22": "Chronic systolic (congestive) heart failure",
    "I48.91": "Unspecified atrial fibrillation",
    "I25.10": "Atherosclerotic heart disease of native coronary artery without angina pectoris",
    "I63.9": "Cerebral infarction, unspecified",
    "J44.9": "Chronic obstructive pulmonary disease, unspecified",
    "J45.909": "Unspecified asthma, uncomplicated",
    "N18.30": "Chronic kidney disease, stage 3 unspecified",
    "N18.4": "Chronic kidney disease, stage 4 (severe)",
    "E78.5": "Hyperlipidemia, unspecified",
    "E66.9": "Obesity, unspecified",
    "F32.A": "Depression, unspecified",
    "F33.1": "Major depressive disorder, recurrent, moderate",
    "F41.1": "Generalized anxiety disorder",
    "F20.9": "Schizophrenia, unspecified",
    "F10.20": "Alcohol dependence, uncomplicated",
    "G30.9": "Alzheimer's disease, unspecified",
    "F03.90": "Unspecified dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, mood disturbance, and anxiety",  # noqa: E501
    "G20.A1": "Parkinson's disease without dyskinesia, without mention of fluctuations",
    "M17.11": "Unilateral primary osteoarthritis, right knee",
    "M81.0": "Age-related osteoporosis without current pathological fracture",
    "Z96.641": "Presence of right artificial hip joint",
    "C50.911": "Malignant neoplasm of unspecified site of right female breast",
    "B20": "Human immunodeficiency virus [HIV] disease",
    "Z59.41": "Food insecurity",
    "Z59.00": "Homelessness unspecified",
    "Z59.86": "Financial insecurity",
    "Z60.2": "Problems related to living alone",
    "Z91.81": "History of falling",
    "F84.0": "Autistic disorder",
    "F90.9": "Attention-deficit hyperactivity disorder, unspecified type",
}
