"""Every user-facing string of the explorer, in English and Dutch: the one catalogue the templates and scripts read.

A template writes ``t('key')`` (the string in the page's language); a script reads the strings the page
puts in its ``<script id="strings">`` block (:data:`SCRIPT_KEYS`). tests/api/explorer/test_strings.py
checks that every key has both languages and that every key a template or script uses is here.
"""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    # the frame of every page
    "site.name": {"en": "osteokg", "nl": "osteokg"},
    "site.tagline": {"en": "Osteoporotic fractures and osteonecrosis, explained from their sources",
                     "nl": "Osteoporotische breuken en botnecrose, uitgelegd vanuit hun bronnen"},
    "site.skip": {"en": "Skip to the content", "nl": "Naar de inhoud"},
    "nav.label": {"en": "Main menu", "nl": "Hoofdmenu"},
    "nav.home": {"en": "Home", "nl": "Start"},
    "nav.search": {"en": "Search", "nl": "Zoeken"},
    "nav.browse": {"en": "Browse", "nl": "Bladeren"},
    "nav.questions": {"en": "Example questions", "nl": "Voorbeeldvragen"},
    "nav.sparql": {"en": "SPARQL editor", "nl": "SPARQL-editor"},
    "nav.api": {"en": "API", "nl": "API"},
    "nav.files": {"en": "Release files", "nl": "Releasebestanden"},
    "language.en": {"en": "English", "nl": "Engels"},
    "language.nl": {"en": "Dutch", "nl": "Nederlands"},
    "lang.switch": {"en": "Nederlands", "nl": "English"},
    "lang.switch_label": {"en": "Deze pagina in het Nederlands", "nl": "This page in English"},
    "disclaimer": {"en": "osteokg is for reference and education. It is not a medical device and does not replace "
                         "a doctor's advice.",
                   "nl": "osteokg is bedoeld als naslag en voor onderwijs. Het is geen medisch hulpmiddel en "
                         "vervangt het advies van een arts niet."},
    "footer.release": {"en": "Release", "nl": "Release"},
    "release.earlier": {"en": "You are reading an earlier release of the graph ({release}), not the current one; "
                              "its links stay in that release.",
                        "nl": "U leest een eerdere release van de graaf ({release}), niet de huidige; "
                              "de links blijven in die release."},
    "release.to_current": {"en": "Read this page in the current release", "nl": "Deze pagina in de huidige release"},
    "footer.formats": {"en": "Every page is also available as JSON, JSON-LD and Turtle (content negotiation).",
                       "nl": "Elke pagina is ook beschikbaar als JSON, JSON-LD en Turtle (content negotiation)."},
    "breadcrumb": {"en": "You are here", "nl": "U bent hier"},
    "permalink": {"en": "Permalink", "nl": "Vaste link"},
    "external": {"en": "external site", "nl": "externe site"},
    # home
    "home.title": {"en": "osteokg — bone fractures and bone death", "nl": "osteokg — botbreuken en botnecrose"},
    "home.intro": {"en": "osteokg links the conditions, bones, causes, symptoms, examinations and treatments of "
                         "osteoporotic fractures and osteonecrosis (bone death). Every fact comes with the sentence of "
                         "its source that says it, and how firmly the source says it.",
                   "nl": "osteokg verbindt de aandoeningen, botten, oorzaken, klachten, onderzoeken en behandelingen "
                         "van osteoporotische breuken en botnecrose. Bij elk feit staat de zin uit de bron die het "
                         "zegt, en hoe stellig de bron het zegt."},
    "home.browse": {"en": "Browse by kind", "nl": "Bladeren per soort"},
    "home.examples": {"en": "Questions you can ask", "nl": "Vragen die u kunt stellen"},
    "home.all_questions": {"en": "All example questions with their answers",
                           "nl": "Alle voorbeeldvragen met hun antwoorden"},
    "home.more": {"en": "For informaticians", "nl": "Voor informatici"},
    "home.sparql": {"en": "Query the graph in SPARQL, with the example questions as tabs",
                    "nl": "Bevraag de graaf in SPARQL, met de voorbeeldvragen als tabbladen"},
    "home.api": {"en": "The JSON API and its OpenAPI description", "nl": "De JSON-API en haar OpenAPI-beschrijving"},
    "home.files": {"en": "Download the release: Turtle, N-Triples, JSON-LD, OWL, SSSOM, KGX",
                   "nl": "Download de release: Turtle, N-Triples, JSON-LD, OWL, SSSOM, KGX"},
    "home.members": {"en": "terms", "nl": "termen"},
    # search
    "search.label": {"en": "Search a term, a synonym or a code", "nl": "Zoek een term, een synoniem of een code"},
    "search.placeholder": {"en": "e.g. hip fracture, botontkalking, M81", "nl": "bv. heupbreuk, botontkalking, M81"},
    "search.button": {"en": "Search", "nl": "Zoeken"},
    "search.title": {"en": "Search", "nl": "Zoeken"},
    "search.results_for": {"en": "Results for", "nl": "Resultaten voor"},
    "search.count": {"en": "{total} found", "nl": "{total} gevonden"},
    "search.none": {"en": "Nothing found. Try another word, a shorter word or a code.",
                    "nl": "Niets gevonden. Probeer een ander woord, een korter woord of een code."},
    "search.empty": {"en": "Type a word to search.", "nl": "Typ een woord om te zoeken."},
    "search.matched": {"en": "matched", "nl": "gevonden via"},
    "search.category": {"en": "Kind", "nl": "Soort"},
    "search.any_category": {"en": "any kind", "nl": "elke soort"},
    "search.suggestions": {"en": "Suggestions", "nl": "Suggesties"},
    "search.no_suggestions": {"en": "No suggestions", "nl": "Geen suggesties"},
    "search.suggestion_count": {"en": "{count} suggestions; use the arrow keys",
                                "nl": "{count} suggesties; gebruik de pijltjestoetsen"},
    "match.exact": {"en": "exact match", "nl": "exacte overeenkomst"},
    "match.prefix": {"en": "starts with your words", "nl": "begint met uw woorden"},
    "match.words": {"en": "contains your words", "nl": "bevat uw woorden"},
    "match.fuzzy": {"en": "close spelling", "nl": "lijkt op uw woorden"},
    "field.label": {"en": "name", "nl": "naam"},
    "field.synonym": {"en": "synonym", "nl": "synoniem"},
    "field.exact_synonym": {"en": "synonym", "nl": "synoniem"},
    "field.code": {"en": "code", "nl": "code"},
    "pager.previous": {"en": "Previous", "nl": "Vorige"},
    "pager.next": {"en": "Next", "nl": "Volgende"},
    "pager.label": {"en": "Pages", "nl": "Pagina's"},
    "pager.range": {"en": "{first}–{last} of {total}", "nl": "{first}–{last} van {total}"},
    # entity pages
    "entity.labels": {"en": "Names", "nl": "Namen"},
    "entity.definition": {"en": "Definition", "nl": "Definitie"},
    "entity.synonyms": {"en": "Also called", "nl": "Ook genoemd"},
    "synonym.exact": {"en": "Same meaning", "nl": "Zelfde betekenis"},
    "synonym.broad": {"en": "Broader words", "nl": "Ruimere woorden"},
    "synonym.narrow": {"en": "Narrower words", "nl": "Engere woorden"},
    "synonym.related": {"en": "Related words", "nl": "Verwante woorden"},
    "entity.codes": {"en": "Codes in other terminologies", "nl": "Codes in andere terminologieën"},
    "code.terminology": {"en": "Terminology", "nl": "Terminologie"},
    "code.code": {"en": "Code", "nl": "Code"},
    "code.label": {"en": "Official name", "nl": "Officiële naam"},
    "code.precision": {"en": "Precision", "nl": "Precisie"},
    "precision.exactMatch": {"en": "same meaning", "nl": "zelfde betekenis"},
    "precision.closeMatch": {"en": "close meaning", "nl": "nagenoeg dezelfde betekenis"},
    "precision.broadMatch": {"en": "the code is broader", "nl": "de code is ruimer"},
    "precision.narrowMatch": {"en": "the code is narrower", "nl": "de code is enger"},
    "precision.relatedMatch": {"en": "related", "nl": "verwant"},
    "entity.parents": {"en": "Is a kind of", "nl": "Is een soort"},
    "entity.children": {"en": "Kinds of it", "nl": "Soorten ervan"},
    "entity.members": {"en": "Terms of this kind", "nl": "Termen van deze soort"},
    "entity.relations": {"en": "What the sources say", "nl": "Wat de bronnen zeggen"},
    "entity.referenced_by": {"en": "Mentioned with", "nl": "Genoemd bij"},
    "entity.inferred": {"en": "Concluded from these", "nl": "Hieruit afgeleid"},
    "entity.inferred_note": {"en": "These follow from the facts above by a rule of the ontology; each says which fact "
                                   "and which rule.",
                             "nl": "Deze volgen uit de feiten hierboven door een regel van de ontologie; bij elk staat "
                                   "welk feit en welke regel."},
    "entity.statements": {"en": "In numbers and notes", "nl": "In cijfers en notities"},
    "entity.graph": {"en": "Graph", "nl": "Graaf"},
    "entity.graph_help": {"en": "Click a term to centre on it, double-click to add its neighbours. "
                                "Solid lines are stated by a source, dashed lines are concluded.",
                          "nl": "Klik op een term om hem in het midden te zetten, dubbelklik om zijn buren toe te "
                                "voegen. Volle lijnen staan in een bron, stippellijnen zijn afgeleid."},
    "entity.graph_filter": {"en": "Show relations", "nl": "Toon relaties"},
    "entity.graph_table": {"en": "The graph's edges as a table", "nl": "De lijnen van de graaf als tabel"},
    "entity.kind": {"en": "Kind", "nl": "Soort"},
    "entity.no_relations": {"en": "The sources state no relation of this term.",
                            "nl": "De bronnen noemen geen relatie van deze term."},
    "entity.website": {"en": "Website", "nl": "Website"},
    "edge.from": {"en": "From", "nl": "Van"},
    "edge.relation": {"en": "Relation", "nl": "Relatie"},
    "edge.to": {"en": "To", "nl": "Naar"},
    "edge.how": {"en": "How", "nl": "Hoe"},
    "edge.stated": {"en": "stated", "nl": "in de bron"},
    "edge.concluded": {"en": "concluded", "nl": "afgeleid"},
    "edge.strength": {"en": "How firmly the source says it", "nl": "Hoe stellig de bron het zegt"},
    "edge.reviewed": {"en": "reviewed", "nl": "nagekeken"},
    "edge.unreviewed_note": {"en": "A fact not marked “reviewed” has not yet been checked by an editor.",
                             "nl": "Een feit zonder „nagekeken” is nog niet door een redacteur nagekeken."},
    "edge.if": {"en": "if", "nl": "als"},
    "edge.in": {"en": "in", "nl": "bij"},
    "edge.with": {"en": "in combination with", "nl": "in combinatie met"},
    "edge.numbers": {"en": "in numbers", "nl": "in cijfers"},
    "quote.source": {"en": "Source", "nl": "Bron"},
    "quote.translation": {"en": "English translation (the source is in Dutch)",
                          "nl": "Vertaling"},
    "why": {"en": "Why", "nl": "Waarom"},
    "rule.subclass": {"en": "inherited from the broader term", "nl": "overgeërfd van de bredere term"},
    "rule.superclass-target": {"en": "generalized from a narrower term", "nl": "veralgemeend van een engere term"},
    "rule.part-of": {"en": "through “part of”, from", "nl": "via „deel van”, uit"},
    "rule.subproperty": {"en": "implied by the more specific relation", "nl": "volgt uit de specifiekere relatie"},
    "rule.inverse": {"en": "the other direction of", "nl": "de andere richting van"},
    "rule.definition": {"en": "follows from the definition of {label}", "nl": "volgt uit de definitie van {label}"},
    "statement.value": {"en": "In numbers", "nl": "In cijfers"},
    "statement.about": {"en": "About", "nl": "Over"},
    "statement.population": {"en": "Who", "nl": "Wie"},
    "statement.outcome": {"en": "What", "nl": "Wat"},
    "statement.time": {"en": "Over what time", "nl": "Over welke tijd"},
    "statement.compared": {"en": "Compared with", "nl": "Vergeleken met"},
    # the example questions
    "questions.title": {"en": "Example questions", "nl": "Voorbeeldvragen"},
    "questions.intro": {"en": "Questions the graph answers, each with its live answer and the SPARQL behind it. "
                              "Each is a query file in kg/queries/competency/: a new file is a new question here.",
                        "nl": "Vragen die de graaf beantwoordt, elk met het actuele antwoord en de SPARQL erachter. "
                              "Elke vraag is een querybestand in kg/queries/competency/: een nieuw bestand is hier "
                              "een nieuwe vraag."},
    "questions.answer": {"en": "Answer", "nl": "Antwoord"},
    "questions.no_answer": {"en": "The graph has no answer to this question.",
                            "nl": "De graaf heeft geen antwoord op deze vraag."},
    "questions.sparql": {"en": "The SPARQL behind it", "nl": "De SPARQL erachter"},
    "questions.open_editor": {"en": "Open in the editor", "nl": "Open in de editor"},
    "questions.other_language": {"en": "In Dutch", "nl": "In het Engels"},
    "yes": {"en": "yes", "nl": "ja"},
    "no": {"en": "no", "nl": "nee"},
    # errors
    "error.title": {"en": "Something went wrong", "nl": "Er ging iets mis"},
    "error.404": {"en": "This page does not exist.", "nl": "Deze pagina bestaat niet."},
    "error.400": {"en": "The address asks for something this page cannot give.",
                  "nl": "Het adres vraagt iets wat deze pagina niet kan geven."},
    "error.other": {"en": "The server could not answer this request.", "nl": "De server kon dit verzoek niet beantwoorden."},
    "error.detail": {"en": "What was wrong", "nl": "Wat er mis was"},
    "error.back": {"en": "Back to the home page", "nl": "Terug naar de startpagina"},
    "error.search": {"en": "Or search for what you were looking for:", "nl": "Of zoek wat u zocht:"},
    # the SPARQL editor
    "sparql.title": {"en": "SPARQL editor", "nl": "SPARQL-editor"},
    "sparql.intro": {"en": "Ask the graph anything in SPARQL 1.1. Each example question is a tab with its query; "
                           "osteokg's prefixes are declared in every new tab. Results link to the terms' pages.",
                     "nl": "Stel de graaf elke vraag in SPARQL 1.1. Elke voorbeeldvraag is een tabblad met haar "
                           "query; de prefixen van osteokg staan in elk nieuw tabblad. Resultaten verwijzen naar de "
                           "pagina's van de termen."},
    "sparql.completion": {"en": "Completion: press Ctrl+Space. Type part of a name after OSTEOKG: (e.g. OSTEOKG:hip) "
                                "for a term, a relation's name where a relation goes, or a prefix after PREFIX. "
                                "Suggestions come from osteokg itself.",
                          "nl": "Aanvullen: druk op Ctrl+Spatie. Typ een deel van een naam na OSTEOKG: (bv. "
                                "OSTEOKG:heup) voor een term, de naam van een relatie waar een relatie hoort, of een "
                                "prefix na PREFIX. De suggesties komen van osteokg zelf."},
    "sparql.endpoint": {"en": "Endpoint for SPARQL clients", "nl": "Endpoint voor SPARQL-clients"},
    "sparql.questions": {"en": "Example questions", "nl": "Voorbeeldvragen"},
    "sparql.your_query": {"en": "Your query", "nl": "Uw query"},
    "sparql.new_tab": {"en": "New query", "nl": "Nieuwe query"},
    "sparql.query_label": {"en": "SPARQL query", "nl": "SPARQL-query"},
    "sparql.run": {"en": "Run the query", "nl": "Voer de query uit"},
    "sparql.noscript": {"en": "Without JavaScript the editor is this text box: the answer comes back as a page.",
                        "nl": "Zonder JavaScript is de editor dit tekstvak: het antwoord komt terug als pagina."},
    "sparql.results": {"en": "Results", "nl": "Resultaten"},
    "sparql.count": {"en": "{count} rows", "nl": "{count} rijen"},
    "sparql.count_one": {"en": "1 row", "nl": "1 rij"},
    "sparql.triples": {"en": "{count} triples", "nl": "{count} triples"},
    "sparql.truncated": {"en": "The first {shown} are shown here; a SPARQL client gets them all.",
                         "nl": "De eerste {shown} staan hier; een SPARQL-client krijgt ze allemaal."},
    "sparql.no_rows": {"en": "The query found nothing.", "nl": "De query vond niets."},
    "sparql.ask_true": {"en": "The answer is yes.", "nl": "Het antwoord is ja."},
    "sparql.ask_false": {"en": "The answer is no.", "nl": "Het antwoord is nee."},
    "sparql.subject": {"en": "subject", "nl": "onderwerp"},
    "sparql.predicate": {"en": "predicate", "nl": "predicaat"},
    "sparql.object": {"en": "object", "nl": "object"},
    "sparql.row": {"en": "Row", "nl": "Rij"},
    "sparql.language": {"en": "language", "nl": "taal"},
    "sparql.datatype": {"en": "type", "nl": "type"},
    "sparql.error": {"en": "The query could not be run", "nl": "De query kon niet worden uitgevoerd"},
    "sparql.error_help": {"en": "Change the query in the editor and run it again.",
                          "nl": "Pas de query aan in de editor en voer haar opnieuw uit."},
    "sparql.unknown_question": {"en": "There is no example question named “{name}”. These are the questions:",
                                "nl": "Er is geen voorbeeldvraag met de naam „{name}”. Dit zijn de vragen:"},
    "sparql.open_question": {"en": "Open in the editor", "nl": "Open in de editor"},
    "sparql.suggest_failed": {"en": "osteokg's suggestions could not be loaded", "nl": "De suggesties van osteokg "
                                                                                      "konden niet worden geladen"},
    "sparql.prefixes": {"en": "Prefixes", "nl": "Prefixen"},
    "sparql.prefixes_note": {"en": "The editor knows these prefixes and declares one when you use it.",
                             "nl": "De editor kent deze prefixen en declareert er een zodra u hem gebruikt."},
    "sparql.prefix": {"en": "Prefix", "nl": "Prefix"},
    "sparql.namespace": {"en": "Namespace", "nl": "Namespace"},
    "sparql.page_size": {"en": "Rows per page", "nl": "Rijen per pagina"},
    "sparql.response_label": {"en": "The answer as the endpoint sent it",
                              "nl": "Het antwoord zoals het endpoint het stuurde"},
    # YASGUI's own words (English in the library), shown in the page's language by editor.js: the English
    # text of each is YASGUI's exactly; {count}, {seconds} and _START_, _END_, _TOTAL_ are filled in there
    "sparql.ui.Table": {"en": "Table", "nl": "Tabel"},
    "sparql.ui.Response": {"en": "Response", "nl": "Antwoord"},
    "sparql.ui.Shows Table view": {"en": "Shows Table view", "nl": "Toont de tabel"},
    "sparql.ui.Shows Response view": {"en": "Shows Response view", "nl": "Toont het antwoord"},
    "sparql.ui.Simple view": {"en": "Simple view", "nl": "Eenvoudige weergave"},
    "sparql.ui.Ellipse": {"en": "Ellipse", "nl": "Inkorten"},
    "sparql.ui.Page size:": {"en": "Page size:", "nl": "Rijen per pagina:"},
    "sparql.ui.Filter query results": {"en": "Filter query results", "nl": "Filter de resultaten"},
    "sparql.ui.Download result": {"en": "Download result", "nl": "Download het resultaat"},
    "sparql.ui.Download Results": {"en": "Download Results", "nl": "Download de resultaten"},
    "sparql.ui.Share query": {"en": "Share query", "nl": "Deel de query"},
    "sparql.ui.Run query": {"en": "Run query", "nl": "Voer de query uit"},
    "sparql.ui.Close tab": {"en": "Close tab", "nl": "Sluit het tabblad"},
    "sparql.ui.All": {"en": "All", "nl": "Alle"},
    "sparql.ui.results_in": {"en": "{count} results in {seconds} seconds",
                             "nl": "{count} resultaten in {seconds} seconden"},
    "sparql.ui.result_in": {"en": "1 result in {seconds} seconds", "nl": "1 resultaat in {seconds} seconden"},
    "sparql.ui.info": {"en": "Showing _START_ to _END_ of _TOTAL_ entries",
                       "nl": "_START_ tot _END_ van _TOTAL_ rijen"},
    "sparql.ui.info_empty": {"en": "Showing 0 to 0 of 0 entries", "nl": "0 rijen"},
    "sparql.ui.info_filtered": {"en": "(filtered from _MAX_ total entries)", "nl": "(gefilterd uit _MAX_ rijen)"},
    "sparql.ui.zero_records": {"en": "No matching records found", "nl": "Geen overeenkomende rijen"},
    "sparql.ui.first": {"en": "First", "nl": "Eerste"},
    "sparql.ui.previous": {"en": "Previous", "nl": "Vorige"},
    "sparql.ui.next": {"en": "Next", "nl": "Volgende"},
    "sparql.ui.last": {"en": "Last", "nl": "Laatste"},
    "sparql.ui.sort": {"en": "Activate to sort", "nl": "Klik om te sorteren"},
    "sparql.ui.sort_reverse": {"en": "Activate to invert sorting", "nl": "Klik om omgekeerd te sorteren"},
    "sparql.ui.sort_remove": {"en": "Activate to remove sorting", "nl": "Klik om niet meer te sorteren"},
    "sparql.ui.pagination": {"en": "pagination", "nl": "paginering"},
    "sparql.nothing_to_complete": {"en": "Type a few letters first", "nl": "Typ eerst een paar letters"},
}

#: the strings a page's scripts read (the search box's combobox, the graph view, the editor)
SCRIPT_KEYS: tuple[str, ...] = ("search.suggestions", "search.no_suggestions", "search.suggestion_count",
                                "entity.graph_filter", "edge.stated", "edge.concluded", "nav.search")


def text(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang`` (English where a language is missing), with ``{name}`` filled from ``values``."""
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no UI string {key!r}: add it to api/explorer/strings.py in both languages") from None
    found = entry.get(lang) or entry["en"]
    return found.format(**values) if values else found


def for_scripts(lang: str) -> dict[str, str]:
    return {key: text(key, lang) for key in SCRIPT_KEYS}


# the scripts (api/static/explorer.js, api/static/graph.js): what they read beyond the keys above
STRINGS.update({
    "graph.centre": {"en": "In the centre:", "nl": "In het midden:"},
    "graph.open": {"en": "open the page of “{label}”", "nl": "open de pagina van „{label}”"},
    "graph.show_concluded": {"en": "concluded lines (dashed)", "nl": "afgeleide lijnen (gestippeld)"},
    "graph.no_category": {"en": "no kind", "nl": "geen soort"},
    "graph.error": {"en": "The graph could not be drawn here; the table below lists the same lines.",
                    "nl": "De graaf kon hier niet getekend worden; de tabel hieronder noemt dezelfde lijnen."},
})
SCRIPT_KEYS += ("field.label", "field.exact_synonym", "field.synonym", "field.code", "graph.centre", "graph.open",
                "graph.show_concluded", "graph.no_category", "graph.error")
