from core.views import ScopedListView

from . import selectors
from .filters import VillageFilterSet


class VillageListView(ScopedListView):
    selector = selectors.village_list
    filterset_class = VillageFilterSet
    template_name = "villages/village_list.html"
