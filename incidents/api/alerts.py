from rest_framework.views import APIView


class AlertmanagerIntakeView(APIView):
    pass


class GenericIntakeView(APIView):
    pass
