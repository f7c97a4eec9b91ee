from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def register(request):
    return HttpResponse("register")


@login_required
def incident_detail(request, pk):
    return HttpResponse("incident")
