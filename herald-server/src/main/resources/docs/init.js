// Renders Herald's OpenAPI document; requests made with "Try it out" carry the key typed into "Authorize".
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
