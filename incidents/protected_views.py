from django.http import HttpResponse


def report_form(request):
    return HttpResponse("report")
