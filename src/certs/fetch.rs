//! One-shot lists of the certs view's four sources (for `bosun certs`).

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use super::model::{
    CertificateRow, HostRoute, TlsSecretRow, routes_from_ingress, routes_from_ingressroute,
};
use crate::cluster::client::plain_client_error;

/// What `fetch_all` found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CertSources {
    pub certificates: Vec<CertificateRow>,
    pub secrets: Vec<TlsSecretRow>,
    pub routes: Vec<HostRoute>,
    /// The cert-manager.io/v1 Certificate resource is served.
    pub cert_manager: bool,
}

/// cert-manager.io/v1 Certificate, plural certificates.
pub fn certificate_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate"),
        "certificates",
    )
}

/// traefik.io/v1alpha1 IngressRoute, plural ingressroutes.
pub fn ingressroute_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("traefik.io", "v1alpha1", "IngressRoute"),
        "ingressroutes",
    )
}

/// traefik v2's older group, still served by many k3s installs.
fn legacy_ingressroute_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("traefik.containo.us", "v1alpha1", "IngressRoute"),
        "ingressroutes",
    )
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

async fn list_dynamic(
    client: &kube::Client,
    resource: &ApiResource,
    params: &ListParams,
) -> Result<Option<Vec<DynamicObject>>, kube::Error> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), resource);
    match api.list(params).await {
        Ok(list) => Ok(Some(list.items)),
        Err(error) if is_not_found(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

/// One-shot list of all four sources, in every namespace. Certificates
/// absent (no cert-manager) → an empty list and `cert_manager: false`;
/// IngressRoutes absent (no traefik) → none.
pub async fn fetch_all(client: &kube::Client) -> Result<CertSources, String> {
    let plain = ListParams::default();
    let tls = ListParams::default().fields("type=kubernetes.io/tls");
    let secret_resource = ApiResource::erase::<Secret>(&());
    let certificate = certificate_resource();
    let ingressroute = ingressroute_resource();
    let ingresses: Api<Ingress> = Api::all(client.clone());
    let (certificates, secrets, ingresses, ingressroutes) = tokio::join!(
        list_dynamic(client, &certificate, &plain),
        list_dynamic(client, &secret_resource, &tls),
        ingresses.list(&plain),
        list_dynamic(client, &ingressroute, &plain),
    );
    let what = |source: &str, error: kube::Error| {
        format!("listing {source}: {}", plain_client_error(&error))
    };
    let certificates = certificates.map_err(|error| what("certificates", error))?;
    let secrets = secrets
        .map_err(|error| what("secrets", error))?
        .unwrap_or_default();
    let ingresses = ingresses.map_err(|error| what("ingresses", error))?;
    let ingressroutes = match ingressroutes.map_err(|error| what("ingressroutes", error))? {
        Some(items) => items,
        None => list_dynamic(client, &legacy_ingressroute_resource(), &plain)
            .await
            .map_err(|error| what("ingressroutes", error))?
            .unwrap_or_default(),
    };
    let mut routes: Vec<HostRoute> = ingresses
        .items
        .iter()
        .flat_map(routes_from_ingress)
        .collect();
    routes.extend(ingressroutes.iter().flat_map(routes_from_ingressroute));
    Ok(CertSources {
        cert_manager: certificates.is_some(),
        certificates: certificates
            .unwrap_or_default()
            .iter()
            .map(CertificateRow::from_object)
            .collect(),
        secrets: secrets
            .iter()
            // The server filtered by type; a server that ignores field
            // selectors must not bring every Secret in.
            .filter(|secret| {
                secret.data.get("type").and_then(serde_json::Value::as_str)
                    == Some("kubernetes.io/tls")
            })
            .map(TlsSecretRow::from_dynamic)
            .collect(),
        routes,
    })
}
