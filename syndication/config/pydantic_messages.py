# ruff: noqa: E501 - pydantic's messages, one msgid per line as pydantic_core writes them
"""pydantic's validation messages as the catalogs hold them (generated from pydantic_core's templates).

A config error names the key and what was expected; pydantic says the latter in English only. Its message
templates (``pydantic_core`` lists them per error ``type``) are here as msgids, as the config error shows them:
without the leading "Input should be " (the error says "expected …") and with ``%(name)s`` placeholders for
pydantic's ``{name}``. A type whose template is only a placeholder (``value_error``: our validator's own
message, ``enum``: the choices) is shown through its value. tests/config/test_config_language.py fails when
pydantic_core has a type or a template that is not here; to update, regenerate with :func:`msgid_for`.
"""

from __future__ import annotations

import re

from syndication.i18n import N_

# pydantic's prefix of most templates, left out because the config error says "expected".
PREFIXES = ("Value error, ", "Input should be ")

PYDANTIC_MESSAGES: dict[str, str] = {
    "no_such_attribute": N_("Object has no attribute '%(attribute)s'"),
    "json_invalid": N_("Invalid JSON: %(error)s"),
    "json_type": N_("JSON input should be string, bytes or bytearray"),
    "needs_python_object": N_(
        "Cannot check `%(method_name)s` when validating from json, use a JsonOrPython validator instead"
    ),
    "recursion_loop": N_("Recursion error - cyclic reference detected"),
    "recursion_depth_exceeded": N_("Recursion error - maximum validation depth exceeded"),
    "missing": N_("Field required"),
    "frozen_field": N_("Field is frozen"),
    "frozen_instance": N_("Instance is frozen"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "invalid_key": N_("Keys should be strings"),
    "get_attribute_error": N_("Error extracting attribute: %(error)s"),
    "model_type": N_("a valid dictionary or instance of %(class_name)s"),
    "model_attributes_type": N_("a valid dictionary or object to extract fields from"),
    "dataclass_type": N_("a dictionary or an instance of %(class_name)s"),
    "dataclass_exact_type": N_("an instance of %(class_name)s"),
    "named_tuple_type": N_("a tuple, list, dictionary or an instance of %(class_name)s"),
    "default_factory_not_called": N_(
        "The default factory uses validated data, but at least one validation error occurred"
    ),
    "none_required": N_("None"),
    "greater_than": N_("greater than %(gt)s"),
    "greater_than_equal": N_("greater than or equal to %(ge)s"),
    "less_than": N_("less than %(lt)s"),
    "less_than_equal": N_("less than or equal to %(le)s"),
    "multiple_of": N_("a multiple of %(multiple_of)s"),
    "finite_number": N_("a finite number"),
    "too_short": N_(
        "%(field_type)s should have at least %(min_length)s item%(expected_plural)s after validation, not %(actual_length)s"
    ),
    "too_long": N_(
        "%(field_type)s should have at most %(max_length)s item%(expected_plural)s after validation, not %(actual_length)s"
    ),
    "iterable_type": N_("iterable"),
    "iteration_error": N_("Error iterating over object, error: %(error)s"),
    "string_type": N_("a valid string"),
    "string_unicode": N_("a valid string, unable to parse raw data as a unicode string"),
    "string_too_short": N_("String should have at least %(min_length)s character%(expected_plural)s"),
    "string_too_long": N_("String should have at most %(max_length)s character%(expected_plural)s"),
    "string_pattern_mismatch": N_("String should match pattern '%(pattern)s'"),
    "string_not_ascii": N_("String should contain only ASCII characters"),
    "dict_type": N_("a valid dictionary"),
    "frozen_dict_type": N_("a valid frozendict"),
    "ordered_dict_type": N_("a valid OrderedDict"),
    "counter_type": N_("a valid Counter"),
    "mapping_type": N_("a valid mapping, error: %(error)s"),
    "list_type": N_("a valid list"),
    "deque_type": N_("a valid deque"),
    "tuple_type": N_("a valid tuple"),
    "set_type": N_("a valid set"),
    "set_item_not_hashable": N_("Set items should be hashable"),
    "bool_type": N_("a valid boolean"),
    "bool_parsing": N_("a valid boolean, unable to interpret input"),
    "int_type": N_("a valid integer"),
    "int_parsing": N_("a valid integer, unable to parse string as an integer"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "int_from_float": N_("a valid integer, got a number with a fractional part"),
    "float_type": N_("a valid number"),
    "float_parsing": N_("a valid number, unable to parse string as a number"),
    "bytes_type": N_("a valid bytes"),
    "bytes_too_short": N_("Data should have at least %(min_length)s byte%(expected_plural)s"),
    "bytes_too_long": N_("Data should have at most %(max_length)s byte%(expected_plural)s"),
    "bytes_invalid_encoding": N_("Data should be valid %(encoding)s: %(encoding_error)s"),
    "assertion_error": N_("Assertion failed, %(error)s"),
    "missing_sentinel_error": N_("the 'MISSING' sentinel"),
    "ellipsis_error": N_("the 'Ellipsis' literal"),
    "date_type": N_("a valid date"),
    "date_parsing": N_("a valid date in the format YYYY-MM-DD, %(error)s"),
    "date_from_datetime_parsing": N_("a valid date or datetime, %(error)s"),
    "date_from_datetime_inexact": N_("Datetimes provided to dates should have zero time - e.g. be exact dates"),
    "date_past": N_("Date should be in the past"),
    "date_future": N_("Date should be in the future"),
    "time_type": N_("a valid time"),
    "time_parsing": N_("in a valid time format, %(error)s"),
    "datetime_type": N_("a valid datetime"),
    "datetime_parsing": N_("a valid datetime, %(error)s"),
    "datetime_object_invalid": N_("Invalid datetime object, got %(error)s"),
    "datetime_from_date_parsing": N_("a valid datetime or date, %(error)s"),
    "datetime_past": N_("in the past"),
    "datetime_future": N_("in the future"),
    "timezone_naive": N_("Input should not have timezone info"),
    "timezone_aware": N_("Input should have timezone info"),
    "timezone_offset": N_("Timezone offset of %(tz_expected)s required, got %(tz_actual)s"),
    "time_delta_type": N_("a valid timedelta"),
    "time_delta_parsing": N_("a valid timedelta, %(error)s"),
    "frozen_set_type": N_("a valid frozenset"),
    "is_instance_of": N_("an instance of %(class)s"),
    "is_subclass_of": N_("a subclass of %(class)s"),
    "callable_type": N_("callable"),
    "union_tag_invalid": N_(
        "Input tag '%(tag)s' found using %(discriminator)s does not match any of the expected tags: %(expected_tags)s"
    ),
    "union_tag_not_found": N_("Unable to extract tag using discriminator %(discriminator)s"),
    "arguments_type": N_("Arguments must be a tuple, list or a dictionary"),
    "missing_argument": N_("Missing required argument"),
    "unexpected_keyword_argument": N_("Unexpected keyword argument"),
    "missing_keyword_only_argument": N_("Missing required keyword only argument"),
    "unexpected_positional_argument": N_("Unexpected positional argument"),
    "missing_positional_only_argument": N_("Missing required positional only argument"),
    "multiple_argument_values": N_("Got multiple values for argument"),
    "url_type": N_("URL input should be a string or URL"),
    "url_parsing": N_("a valid URL, %(error)s"),
    "url_syntax_violation": N_("Input violated strict URL syntax rules, %(error)s"),
    "url_too_long": N_("URL should have at most %(max_length)s character%(expected_plural)s"),
    "url_scheme": N_("URL scheme should be %(expected_schemes)s"),
    "uuid_type": N_("UUID input should be a string, bytes or UUID object"),
    "uuid_parsing": N_("a valid UUID, %(error)s"),
    "uuid_version": N_("UUID version %(expected_version)s expected"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("a valid decimal"),
    "decimal_max_digits": N_("Decimal input should have no more than %(max_digits)s digit%(expected_plural)s in total"),
    "decimal_max_places": N_(
        "Decimal input should have no more than %(decimal_places)s decimal place%(expected_plural)s"
    ),
    "decimal_whole_digits": N_(
        "Decimal input should have no more than %(whole_digits)s digit%(expected_plural)s before the decimal point"
    ),
    "fraction_type": N_("Fraction input should be an integer, float, string or Fraction object"),
    "fraction_parsing": N_("Input is not a valid fraction"),
    "complex_type": N_(
        "a valid python complex object, a number, or a valid complex string following the rules at https://docs.python.org/3/library/functions.html#complex"
    ),
    "complex_str_parsing": N_(
        "a valid complex string following the rules at https://docs.python.org/3/library/functions.html#complex"
    ),
}


def msgid_for(template: str) -> str | None:
    """The msgid of one pydantic template (``message_template_python``); None when it is only a placeholder."""
    for prefix in PREFIXES:
        template = template.removeprefix(prefix)
    converted = re.sub(r"\{(\w+)\}", r"%(\1)s", template.replace("%", "%%"))
    return None if re.fullmatch(r"%\(\w+\)s", converted) else converted
