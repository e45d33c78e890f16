# Data files shipped with the service and embedded into the binary (see data/README.md).
# Included by the root CMakeLists.txt; each call defines `const unsigned char SYMBOL[]` and
# `const size_t SYMBOL_len` (NUL-terminated) for analysis/gazetteer.c and analysis/ner_model.c.
articled_embed(ANALYSIS_EMBED data/places.tsv articled_data_places)
articled_embed(ANALYSIS_EMBED data/first_names.txt articled_data_first_names)
articled_embed(ANALYSIS_EMBED data/aliases.tsv articled_data_aliases)
articled_embed(ANALYSIS_EMBED data/cues.tsv articled_data_cues)
articled_embed(ANALYSIS_EMBED data/word_case.tsv articled_data_word_case)
articled_embed(ANALYSIS_EMBED data/ner_model.bin articled_data_ner_model)
articled_embed(ANALYSIS_EMBED data/langid_model.bin articled_data_langid_model)
