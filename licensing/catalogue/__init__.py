"""The item catalogue (事项清单): items, materials, commitment rules, letter texts, versions.

Other domains call ``licensing.catalogue.services`` (``current_version``, ``item_rules_dict``,
``render_letter``) and keep a foreign key to the exact ``ItemVersion`` a case was filed under.
See docs/decisions/0004-catalogue-versions.md.
"""
