from tests import test_db

for test in [
    test_db.test_monkeypatch,
    test_db.test_patch_object,
    test_db.test_patch_new,
    test_db.test_patch_decorator,
    test_db.test_patch_mock,
]:
    print(test.__name__, test())

from tests import test_store

print("test_instance", test_store.test_instance())
