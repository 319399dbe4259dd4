"""BM25 keyword search: stemming, accent folding, Nynorsk, filters inside the search, persistence by fingerprint."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embed import DIM
from ingest.lang import fold
from ingest.models import CatalogEntry, Document, Filters, Kind
from ingest.snapshot import keyword as keyword_index
from ingest.snapshot.build import load_or_build_keyword
from ingest.snapshot.keyword import KeywordIndex, passage_tokens, query_tokens
from ingest.store import open_store
from ingest_helpers import make_passage

PASSAGES = [
    make_passage("iom", 0, "Shelters recommended a referral mechanism for victims of trafficking.",
                 organisation="IOM", year=2021, countries=["Mexico"], kind=Kind.recommendation),
    make_passage("iom", 1, "Shelter staff were trained; the shelter budget was stable.",
                 organisation="IOM", year=2021, countries=["Mexico"], kind=Kind.finding),
    make_passage("unodc", 0, "A shelter was mentioned once in the hotline evaluation of the Nigerian project.",
                 organisation="UNODC", year=2022, countries=["Nigeria"], kind=Kind.lesson),
    make_passage("norad", 0, "Tilråding 2: Norad bør sikre at tilrådingane frå evalueringa blir følgde opp "
                 "i samarbeidet med IOM om menneskehandel.", organisation="Norad", year=2011,
                 countries=["Norway"], language="nn", kind=Kind.recommendation),
    make_passage("norad", 1, "Evalueringa viser at kvinnene i prosjekta fekk betre vern.",
                 organisation="Norad", year=2011, countries=["Norway"], language="nn", kind=Kind.finding),
]


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex.build(PASSAGES, fingerprint="fp")


def ids(hits):
    return [p.id for p, _ in hits]


def test_fold_strips_accents_and_nordic_letters():
    assert fold("Tilrådingane") == "tilradingane"
    assert fold("følgde") == "folgde" and fold("Ærlig") == "aerlig" and fold("São") == "sao"


def test_tokens_drop_stopwords_and_stem_by_language():
    assert passage_tokens("The recommendations of the shelters", language="en") == ["recommend", "shelter"]
    assert passage_tokens("tilrådingane og evalueringa", language="nn") == ["tilrading", "evaluering"]
    assert "recommend" in query_tokens("recommendations") and "tilrading" in query_tokens("tilrådingane")
    assert query_tokens("the and of") == []


def test_spanish_french_and_swedish_passages_get_their_own_stemmer_and_stopwords():
    assert passage_tokens("Las recomendaciones para los albergues", language="es") == ["recomend", "alberg"]
    assert passage_tokens("Les recommandations pour les refuges", language="fr") == ["recommand", "refug"]
    assert passage_tokens("Rekommendationerna för skyddade boenden", language="sv") == ["rekommendation", "skydd",
                                                                                        "boend"]


def test_a_query_is_stemmed_in_every_language_the_index_holds():
    spanish = make_passage("es", 0, "Las recomendaciones para los albergues de víctimas de trata.", language="es")
    english = make_passage("en", 0, "Recommendations on hotline data protection.")
    index = KeywordIndex.build([spanish, english], fingerprint="fp")
    assert index.languages == ("english", "spanish")
    assert ids(index.search("recomendación albergue", k=2)) == [spanish.id]  # Spanish stems meet Spanish ones
    assert KeywordIndex.build([english], fingerprint="fp").languages == ("english",)


def test_stemmed_english_match_ranks_the_densest_passage_first(index):
    hits = index.search("shelters", k=5)
    assert ids(hits)[0] == PASSAGES[1].id  # two mentions beat one
    assert set(ids(hits)) == {PASSAGES[0].id, PASSAGES[1].id, PASSAGES[2].id}
    assert all(score > 0 for _, score in hits)


@pytest.mark.parametrize("query", ["tilråding", "tilrading", "Tilrådingane", "TILRÅDINGANE frå Norad"])
def test_nynorsk_text_is_found_with_or_without_accents(index, query):
    assert ids(index.search(query, k=1)) == [PASSAGES[3].id]


def test_nynorsk_inflections_meet(index):
    assert ids(index.search("kvinner evaluering", k=1)) == [PASSAGES[4].id]


def test_filters_apply_inside_the_search(index):
    # unfiltered, the UNODC passage is the weakest "shelter" match; filtered, it is the only one and comes first at k=1
    assert ids(index.search("shelter", k=1))[0] != PASSAGES[2].id
    assert ids(index.search("shelter", k=1, filters=Filters(doc_ids=["unodc"]))) == [PASSAGES[2].id]
    assert ids(index.search("shelter", k=5, filters=Filters(kinds=[Kind.recommendation]))) == [PASSAGES[0].id]
    assert ids(index.search("shelter", k=5, filters=Filters(countries=["Nigeria"], years=[2022]))) == [PASSAGES[2].id]
    assert index.search("shelter", k=5, filters=Filters(organisations=["Norad"])) == []
    assert ids(index.search("shelter tilråding", k=5, filters=Filters(languages=["nn"]))) == [PASSAGES[3].id]


def test_no_match_unknown_words_and_empty_index():
    idx = KeywordIndex.build(PASSAGES, fingerprint="fp")
    assert idx.search("zebra quantum", k=5) == [] and idx.search("", k=5) == []
    assert KeywordIndex.build([], fingerprint="empty").search("shelter", k=5) == []


def test_knows_words_in_any_stemming_and_long_words_with_one_typo(index):
    assert index.knows("sheltering") and index.knows("Trafficked") and index.knows("tilrådingar")
    assert not index.knows("drones") and not index.knows("the")  # never used; a stopword
    assert not index.knows("traficking") and index.knows("traficking", typos=True)  # one letter missing
    assert index.knows("mecahnism", typos=True) and index.knows("hotlines", typos=True)  # swapped; plural
    assert not index.knows("shelterx", typos=False) and index.knows("shelterx", typos=True)
    assert not index.knows("sheltr", typos=True)  # too short to trust one edit
    assert not index.knows("blockchain", typos=True) and not index.knows("evaluations2", typos=True)
    assert not KeywordIndex.build([], fingerprint="empty").knows("shelter", typos=True)


def test_save_and_load_round_trip(tmp_path, index):
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded.fingerprint == "fp" and loaded.passages == PASSAGES
    for query in ("shelter", "tilrading", "kvinner evaluering"):
        assert loaded.search(query, k=3) == index.search(query, k=3)


def _add(store, doc_id, passages):
    meta = CatalogEntry(title=doc_id)
    vecs = np.tile(np.eye(1, DIM, dtype=np.float32), (len(passages), 1))
    store.replace_document(Document(doc_id=doc_id, path=f"/{doc_id}", sha256=doc_id, text="", meta=meta),
                           passages, {"e5": vecs})


def test_load_or_build_follows_the_store_fingerprint(tmp_settings, monkeypatch):
    store = open_store(tmp_settings)
    store.ensure_collection("e5", model="m", dim=DIM)
    _add(store, "iom", PASSAGES[:2])
    first = load_or_build_keyword(store, tmp_settings)
    assert first.fingerprint == store.fingerprint()
    assert (tmp_settings.data_dir / "snapshot" / first.fingerprint / "fingerprint.txt").exists()

    def no_build(*args, **kwargs):
        raise AssertionError("should have loaded from disk")

    monkeypatch.setattr(keyword_index.KeywordIndex, "build", no_build)
    assert load_or_build_keyword(open_store(tmp_settings), tmp_settings).passages == first.passages  # loaded, not rebuilt
    monkeypatch.undo()

    _add(open_store(tmp_settings), "unodc", PASSAGES[2:3])  # e.g. another process ingests a document
    second = load_or_build_keyword(store, tmp_settings)
    assert second.fingerprint != first.fingerprint
    assert ids(second.search("nigerian hotline", k=1)) == [PASSAGES[2].id]
    assert sorted(p.name for p in (tmp_settings.data_dir / "snapshot").iterdir()) == [second.fingerprint]


def _sparse(*terms: tuple[int, float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([t for t, _ in terms], dtype=np.int32), np.array([w for _, w in terms], dtype=np.float32)


# latent term 7 ~ "shelter", 9 ~ "hotline", 11 ~ "recommendation"; the last Norad passage has no vector
SPARSE = {
    PASSAGES[0].id: _sparse((7, 2.0), (11, 1.0)),
    PASSAGES[1].id: _sparse((7, 3.5)),
    PASSAGES[2].id: _sparse((7, 0.5), (9, 2.0)),
    PASSAGES[3].id: _sparse((11, 2.5), (16383, 1.0)),
}


def test_sparse_search_ranks_by_dot_product_with_filters_inside():
    idx = KeywordIndex.build(PASSAGES, fingerprint="fp", sparse=SPARSE)
    assert idx.sparse.shape == (len(PASSAGES), 16384) and idx.sparse.dtype == np.float32
    hits = idx.sparse_search(*_sparse((7, 1.0), (11, 1.0)), k=10)
    assert ids(hits) == [PASSAGES[1].id, PASSAGES[0].id, PASSAGES[3].id, PASSAGES[2].id]  # only positive scores
    assert [s for _, s in hits] == pytest.approx([3.5, 3.0, 2.5, 0.5], rel=1e-6)
    assert ids(idx.sparse_search(*_sparse((7, 1.0), (11, 1.0)), k=2)) == [PASSAGES[1].id, PASSAGES[0].id]
    # the weakest match comes first at k=1 once the filter keeps only it: filtered inside, not after
    assert ids(idx.sparse_search(*_sparse((7, 1.0)), k=1, filters=Filters(doc_ids=["unodc"]))) == [PASSAGES[2].id]
    assert ids(idx.sparse_search(*_sparse((7, 1.0), (11, 1.0)), k=5, filters=Filters(kinds=[Kind.recommendation]))) \
        == [PASSAGES[0].id, PASSAGES[3].id]
    assert idx.sparse_search(*_sparse((7, 1.0)), k=5, filters=Filters(organisations=["Norad"])) == []
    assert idx.sparse_search(*_sparse((500, 1.0)), k=5) == [] and idx.sparse_search(*_sparse(), k=5) == []


def test_sparse_matrix_is_saved_and_absent_without_vectors(tmp_path):
    idx = KeywordIndex.build(PASSAGES, fingerprint="fp", sparse=SPARSE)
    idx.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    query = _sparse((7, 1.0), (16383, 0.5))
    assert loaded.sparse_search(*query, k=5) == idx.sparse_search(*query, k=5)
    plain = KeywordIndex.build(PASSAGES, fingerprint="fp")  # e.g. a MiniLM-only index
    assert plain.sparse is None and plain.sparse_search(*query, k=5) == []
    plain.save(tmp_path / "plain")
    assert KeywordIndex.load(tmp_path / "plain").sparse is None
    assert plain.search("shelter", k=1)  # BM25 unaffected


def test_load_or_build_takes_the_sparse_vectors_from_the_store(tmp_settings):
    store = open_store(tmp_settings)
    store.ensure_collection("e5", model="m", dim=DIM)
    meta = CatalogEntry(title="iom")
    ps = PASSAGES[:2]
    store.replace_document(Document(doc_id="iom", path="/iom", sha256="iom", text="", meta=meta), ps,
                           {"e5": np.tile(np.eye(1, DIM, dtype=np.float32), (2, 1))}, sparse=[SPARSE[p.id] for p in ps])
    _add(store, "unodc", PASSAGES[2:3])  # written without sparse vectors: an empty row
    built = load_or_build_keyword(store, tmp_settings)
    assert (tmp_settings.data_dir / "snapshot" / built.fingerprint / "sparse.data.npy").exists()
    assert ids(built.sparse_search(*_sparse((7, 1.0)), k=5)) == [PASSAGES[1].id, PASSAGES[0].id]
    loaded = load_or_build_keyword(open_store(tmp_settings), tmp_settings)
    assert ids(loaded.sparse_search(*_sparse((7, 1.0)), k=5)) == [PASSAGES[1].id, PASSAGES[0].id]
